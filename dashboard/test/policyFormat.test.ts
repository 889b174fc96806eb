import { describe, expect, it } from "vitest";
import { formatDateTime, formatExpiry, formatList, safeJson, summarizeDetails, sumShadowHits } from "../src/policyFormat.js";

describe("policy and audit formatting", () => {
  it("gives local date and time to the second, zero-padded", () => {
    expect(formatDateTime(new Date(2026, 0, 5, 4, 3, 7))).toBe("2026-01-05 04:03:07");
    expect(formatDateTime(new Date(2026, 11, 31, 23, 59, 59))).toBe("2026-12-31 23:59:59");
  });

  it("says 'never' for an override without an expiry", () => {
    expect(formatExpiry(null)).toBe("never");
    expect(formatExpiry(new Date(2026, 1, 3, 10, 0, 0))).toBe("2026-02-03 10:00:00");
  });

  it("shows absent or empty routes and tiers as applying to all", () => {
    expect(formatList(undefined)).toBe("all");
    expect(formatList([])).toBe("all");
    expect(formatList(undefined, "any")).toBe("any");
    expect(formatList(["POST /jobs/email", "GET /jobs/*"])).toBe("POST /jobs/email, GET /jobs/*");
  });

  it("sums shadow hits per rule over every bucket, leaving out rules without hits", () => {
    expect(sumShadowHits([])).toEqual({});
    expect(sumShadowHits([{ shadowByRule: {} }, { shadowByRule: { a: 2, b: 1 } }, { shadowByRule: { a: 3 } }])).toEqual({ a: 5, b: 1 });
  });

  it("summarizes details as one line of JSON cut with an ellipsis", () => {
    expect(summarizeDetails({})).toBe("");
    expect(summarizeDetails({ queue: "email", jobId: "7" })).toBe('{"queue":"email","jobId":"7"}');
    const long = summarizeDetails({ reason: "x".repeat(500) }, 40);
    expect(long).toHaveLength(40);
    expect(long.endsWith("…")).toBe(true);
    expect(long.startsWith('{"reason":"xxx')).toBe(true);
    // Markup stays text: the summary is the JSON itself, for a text node.
    expect(summarizeDetails({ reason: "<img src=x onerror=alert(1)>" })).toBe('{"reason":"<img src=x onerror=alert(1)>"}');
  });

  it("never throws on values JSON cannot write", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(safeJson(cyclic)).toBe("[object Object]");
    expect(safeJson({ n: 1n })).toBe("[object Object]");
    expect(safeJson(undefined)).toBe("undefined");
    expect(summarizeDetails(cyclic)).toBe("[object Object]");
  });
});
