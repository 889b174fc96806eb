import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  fingerprint,
  idempotencyRecordKey,
  isValidIdempotencyKey,
  jobIdFromRecord,
} from "../../src/idempotency/index.js";

describe("fingerprint", () => {
  it("is SHA-256 hex of the canonical body", () => {
    expect(fingerprint({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not change with the order of object keys, at any depth", () => {
    const a = { to: ["x@example.com"], subject: "Hi", metadata: { b: 2, a: { d: 4, c: 3 } } };
    const b = { metadata: { a: { c: 3, d: 4 }, b: 2 }, subject: "Hi", to: ["x@example.com"] };
    expect(fingerprint(a)).toBe(fingerprint(b));
    expect(canonicalJson(b)).toBe('{"metadata":{"a":{"c":3,"d":4},"b":2},"subject":"Hi","to":["x@example.com"]}');
  });

  it("differs for different bodies, including array order", () => {
    expect(fingerprint({ subject: "Hi" })).not.toBe(fingerprint({ subject: "Hi!" }));
    expect(fingerprint({ to: ["a", "b"] })).not.toBe(fingerprint({ to: ["b", "a"] }));
    expect(fingerprint({ n: 1 })).not.toBe(fingerprint({ n: "1" }));
  });

  it("writes Dates as ISO strings and drops undefined members", () => {
    const sendAt = new Date("2030-01-02T03:04:05.000Z");
    expect(fingerprint({ sendAt, cc: undefined })).toBe(fingerprint({ sendAt: "2030-01-02T03:04:05.000Z" }));
    expect(canonicalJson({ sendAt, cc: undefined, list: [undefined] })).toBe('{"list":[null],"sendAt":"2030-01-02T03:04:05.000Z"}');
  });

  it("refuses cycles instead of overflowing the stack", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => fingerprint(cyclic)).toThrow(TypeError);
    // A shared (not cyclic) object is fine.
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe("isValidIdempotencyKey", () => {
  it("accepts 1 to 255 printable ASCII characters", () => {
    expect(isValidIdempotencyKey("a")).toBe(true);
    expect(isValidIdempotencyKey("8e03978e-40d5-43e8-bc93-6894a57f9324")).toBe(true);
    expect(isValidIdempotencyKey("order 42: retry #1 ~!@{}")).toBe(true);
    expect(isValidIdempotencyKey("k".repeat(255))).toBe(true);
  });

  it("rejects empty, too long, non-printable, non-ASCII and non-string keys", () => {
    expect(isValidIdempotencyKey("")).toBe(false);
    expect(isValidIdempotencyKey("k".repeat(256))).toBe(false);
    expect(isValidIdempotencyKey("a\tb")).toBe(false);
    expect(isValidIdempotencyKey("a\nb")).toBe(false);
    expect(isValidIdempotencyKey("a\u007fb")).toBe(false);
    expect(isValidIdempotencyKey("clé")).toBe(false);
    expect(isValidIdempotencyKey("🔑")).toBe(false);
    expect(isValidIdempotencyKey(42)).toBe(false);
    expect(isValidIdempotencyKey(undefined)).toBe(false);
  });

  it("rejects leading and trailing spaces, which HTTP would strip from the header", () => {
    expect(isValidIdempotencyKey(" ")).toBe(false);
    expect(isValidIdempotencyKey(" key")).toBe(false);
    expect(isValidIdempotencyKey("key ")).toBe(false);
  });
});

describe("idempotencyRecordKey", () => {
  it("hashes the client key and encodes the route, so the name has a bounded, colon-free tail", () => {
    const name = idempotencyRecordKey("tg", "ip:::1", "POST /jobs/email", "k".repeat(255));
    expect(name).toMatch(/^tg:idem:ip:::1:POST%20\/jobs\/email:[0-9a-f]{64}$/);
  });

  it("is deterministic and keeps scopes, routes and keys apart", () => {
    const names = new Set([
      idempotencyRecordKey("tg", "u1", "POST /jobs/email", "k"),
      idempotencyRecordKey("tg", "u2", "POST /jobs/email", "k"),
      idempotencyRecordKey("tg", "u1", "POST /jobs/email/schedule", "k"),
      idempotencyRecordKey("tg", "u1", "POST /jobs/email", "k2"),
      // A colon in the route can't shift the boundary into the scope.
      idempotencyRecordKey("tg", "u1:POST", "/jobs/email", "k"),
      idempotencyRecordKey("tg", "u1", "POST:/jobs/email", "k"),
    ]);
    expect(names.size).toBe(6);
    expect(idempotencyRecordKey("tg", "u1", "POST /jobs/email", "k")).toBe(idempotencyRecordKey("tg", "u1", "POST /jobs/email", "k"));
  });
});

describe("jobIdFromRecord", () => {
  it("is BullMQ-safe: no ':' and not integer-like, for store ids and any other string", () => {
    for (const recordId of ["0123456789abcdef0123456789abcdef", "00000000000000000000000000000000", "12345", "a:b", ""]) {
      const jobId = jobIdFromRecord(recordId);
      expect(jobId).not.toContain(":");
      expect(jobId).not.toMatch(/^\d+$/);
      expect(jobId.length).toBeLessThanOrEqual(40);
    }
  });

  it("is deterministic and keeps a store record id readable in the job id", () => {
    const recordId = "0123456789abcdef0123456789abcdef";
    expect(jobIdFromRecord(recordId)).toBe(`idem-${recordId}`);
    expect(jobIdFromRecord("a:b")).toBe(jobIdFromRecord("a:b"));
    expect(jobIdFromRecord("a:b")).not.toBe(jobIdFromRecord("a:c"));
  });
});
