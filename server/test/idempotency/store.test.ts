import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS } from "@taskgate/shared";
import {
  createIdempotencyStore,
  fingerprint,
  idempotencyRecordKey,
  type ClaimOutcome,
  type IdempotencyStore,
} from "../../src/idempotency/index.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis, type TestRedis } from "#test-support/redis.js";
import { sleep } from "#test-support/time.js";

const route = "POST /jobs/email";
const body = { to: "a@example.com", subject: "Hi", text: "Hello" };
const fp = fingerprint(body);
const response = JSON.stringify({ jobId: "idem-1", queue: "email", state: "waiting" });

function claimed(outcome: ClaimOutcome): Extract<ClaimOutcome, { kind: "claimed" }> {
  if (outcome.kind !== "claimed") throw new Error(`expected a claim, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe("idempotency store", () => {
  let redis: TestRedis;
  let extra: TestRedis[];
  const prefix = prefixPerTest();

  beforeEach(() => {
    redis = connectTestRedis();
    extra = [];
  });

  afterEach(async () => {
    await Promise.all([redis, ...extra].map((c) => c.quit()));
  });

  const store = (options: { ttlMs?: number; leaseMs?: number } = {}): IdempotencyStore =>
    createIdempotencyStore({ redis, keyPrefix: prefix(), ttlMs: CONFIG_DEFAULTS.idempotencyTtlMs, leaseMs: CONFIG_DEFAULTS.idempotencyLeaseMs, ...options });

  it("claims a fresh key, then replays the stored status and body for the same payload", async () => {
    const s = store();
    const first = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    expect(first.recordId).toMatch(/^[0-9a-f]{32}$/);
    expect(await s.complete({ scope: "user-a", route, key: "k1", token: first.token, status: 202, body: response })).toBe(true);

    const second = await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fingerprint({ ...body }) });
    expect(second).toEqual({ kind: "replay", status: 202, body: response });
  });

  it("lets exactly one of 50 concurrent claims on a fresh key through; the rest are in use", async () => {
    extra = [connectTestRedis(), connectTestRedis()];
    const stores = [redis, ...extra].map((client) => createIdempotencyStore({ redis: client, keyPrefix: prefix(), ttlMs: CONFIG_DEFAULTS.idempotencyTtlMs, leaseMs: CONFIG_DEFAULTS.idempotencyLeaseMs }));
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => stores[i % 3]!.claim({ scope: "user-a", route, key: "race", fingerprint: fp })),
    );
    expect(outcomes.filter((o) => o.kind === "claimed")).toHaveLength(1);
    const others = outcomes.filter((o) => o.kind !== "claimed");
    expect(others).toHaveLength(49);
    for (const other of others) {
      expect(other.kind).toBe("in_use");
      if (other.kind === "in_use") expect(other.retryAfterMs).toBeGreaterThan(0);
    }
  });

  it("reports a mismatch when the same key comes with another payload, in flight or done", async () => {
    const s = store();
    const first = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    const other = fingerprint({ ...body, subject: "Changed" });
    expect(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: other })).toEqual({ kind: "mismatch" });
    await s.complete({ scope: "user-a", route, key: "k1", token: first.token, status: 202, body: response });
    expect(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: other })).toEqual({ kind: "mismatch" });
  });

  it("keeps records of different users apart: user B's same key is its own claim with its own record id", async () => {
    const s = store();
    const a = claimed(await s.claim({ scope: "user-a", route, key: "shared", fingerprint: fp }));
    const b = claimed(await s.claim({ scope: "user-b", route, key: "shared", fingerprint: fp }));
    expect(b.recordId).not.toBe(a.recordId);
  });

  it("keeps records of different routes apart", async () => {
    const s = store();
    const a = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    const b = claimed(await s.claim({ scope: "user-a", route: "POST /jobs/email/schedule", key: "k1", fingerprint: fp }));
    expect(b.recordId).not.toBe(a.recordId);
  });

  it("after a release, the same payload claims again with the same record id", async () => {
    const s = store();
    const first = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    await s.release({ scope: "user-a", route, key: "k1", token: first.token });

    const retry = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    expect(retry.recordId).toBe(first.recordId);
    expect(retry.token).not.toBe(first.token);
    // The released attempt's token owns nothing any more.
    expect(await s.complete({ scope: "user-a", route, key: "k1", token: first.token, status: 202, body: response })).toBe(false);
    expect(await s.complete({ scope: "user-a", route, key: "k1", token: retry.token, status: 202, body: response })).toBe(true);
  });

  it("after a release, another payload claims with a new record id and is then the payload of record", async () => {
    const s = store();
    const first = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    await s.release({ scope: "user-a", route, key: "k1", token: first.token });

    const changed = fingerprint({ ...body, subject: "Changed" });
    const retry = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: changed }));
    expect(retry.recordId).not.toBe(first.recordId);
    expect(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp })).toEqual({ kind: "mismatch" });
  });

  it("ignores a release with a token that does not own the record", async () => {
    const s = store();
    claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    await s.release({ scope: "user-a", route, key: "k1", token: "not-the-owner" });
    expect((await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp })).kind).toBe("in_use");
  });

  it("lets a second request take over an expired lease with the same record id; the old token can no longer complete", async () => {
    const s = store({ leaseMs: 200 });
    const first = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    const blocked = await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp });
    if (blocked.kind !== "in_use") throw new Error(`expected in_use, got ${blocked.kind}`);

    await sleep(blocked.retryAfterMs + 50);
    const takeover = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    expect(takeover.recordId).toBe(first.recordId);
    expect(takeover.token).not.toBe(first.token);

    expect(await s.complete({ scope: "user-a", route, key: "k1", token: first.token, status: 202, body: "old" })).toBe(false);
    expect(await s.complete({ scope: "user-a", route, key: "k1", token: takeover.token, status: 202, body: response })).toBe(true);
    expect(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp })).toEqual({ kind: "replay", status: 202, body: response });
  });

  it("forgets a record after ttlMs: the key then starts a new record with a new record id", async () => {
    const s = store({ ttlMs: 200 });
    const first = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    await s.complete({ scope: "user-a", route, key: "k1", token: first.token, status: 202, body: response });

    const recordKey = idempotencyRecordKey(prefix(), "user-a", route, "k1");
    for (let i = 0; i < 100 && (await redis.exists(recordKey)) === 1; i++) await sleep(50);

    const again = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    expect(again.recordId).not.toBe(first.recordId);
  });

  it("rejects a malformed key and bad options instead of writing a record", async () => {
    const s = store();
    await expect(s.claim({ scope: "user-a", route, key: "", fingerprint: fp })).rejects.toThrow(RangeError);
    await expect(s.claim({ scope: "user-a", route, key: "é", fingerprint: fp })).rejects.toThrow(RangeError);
    expect(() => store({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => store({ leaseMs: 1.5 })).toThrow(RangeError);
    const first = claimed(await s.claim({ scope: "user-a", route, key: "k1", fingerprint: fp }));
    await expect(s.complete({ scope: "user-a", route, key: "k1", token: first.token, status: 20.2, body: "" })).rejects.toThrow(RangeError);
  });
});
