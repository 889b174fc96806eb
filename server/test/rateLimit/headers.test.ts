import { afterAll, describe, expect, it } from "vitest";
import type { RuleOutcome } from "@taskgate/shared";
import { createRateLimiter, formatRateLimitHeaders, pickReported, retryAfterSeconds } from "../../src/rateLimit/index.js";
import { connectTestRedis } from "#test-support/redis.js";
import { rule } from "./support.js";
import { parseList } from "#test-support/structuredFields.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { LIMITER_DEFAULTS } from "./configDefaults.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());

const prefix = prefixPerTest(redis);

function outcome(overrides: Partial<RuleOutcome>): RuleOutcome {
  return { name: "r", limit: 10, windowMs: 60_000, cost: 1, remaining: 10, resetMs: 0, retryAfterMs: 0, allowed: true, priority: 100, ...overrides };
}

describe("IETF rate-limit headers", () => {
  it("lists every matching rule in both headers, in rule order, as parseable structured fields", async () => {
    const limiter = createRateLimiter({
      ...LIMITER_DEFAULTS,
      redis,
      keyPrefix: prefix(),
      rules: [
        rule({ name: "email-per-user", key: "user", limit: 60, windowMs: 60_000, routes: ["POST /jobs/email"] }),
        rule({ name: "ip-default", key: "ip", limit: 300, windowMs: 60_000 }),
      ],
    });
    const request = { route: "POST /jobs/email", ip: "10.0.0.1", userId: "u1" };
    for (let i = 0; i < 11; i++) await limiter.check(request);
    const decision = await limiter.check(request);
    const headers = formatRateLimitHeaders(decision.outcomes);

    expect(headers["RateLimit-Policy"]).toBe('"email-per-user";q=60;w=60, "ip-default";q=300;w=60');
    expect(parseList(headers["RateLimit-Policy"]!)).toEqual([
      { name: "email-per-user", params: { q: 60, w: 60 } },
      { name: "ip-default", params: { q: 300, w: 60 } },
    ]);
    const state = parseList(headers.RateLimit!);
    expect(state.map((s) => s.name)).toEqual(["email-per-user", "ip-default"]);
    expect(state.map((s) => s.params.r)).toEqual([48, 288]);
    for (const s of state) {
      // t: seconds until the oldest counted request leaves; it was admitted moments ago.
      expect(s.params.t).toBeGreaterThan(0);
      expect(s.params.t).toBeLessThanOrEqual(60);
    }
  });

  it("sends no headers when no rule matched", () => {
    expect(formatRateLimitHeaders([])).toEqual({});
  });

  it("rounds windows and resets up to whole seconds, and uses the window for t while nothing is counted", () => {
    const headers = formatRateLimitHeaders([
      outcome({ name: "a", windowMs: 1500, remaining: 3, limit: 5, resetMs: 1001 }),
      outcome({ name: "b", windowMs: 60_000, remaining: 10, limit: 10, resetMs: 0 }),
    ]);
    expect(headers).toEqual({ "RateLimit-Policy": '"a";q=5;w=2, "b";q=10;w=60', RateLimit: '"a";r=3;t=2, "b";r=10;t=60' });
  });
});

describe("Retry-After", () => {
  it("is the longest wait among violated rules in whole seconds, rounded up", () => {
    const violated = [outcome({ name: "a", retryAfterMs: 1200, allowed: false }), outcome({ name: "b", retryAfterMs: 4001, allowed: false })];
    expect(retryAfterSeconds({ violated })).toBe(5);
  });

  it("is at least one second", () => {
    expect(retryAfterSeconds({ violated: [outcome({ retryAfterMs: 1, allowed: false })] })).toBe(1);
    expect(retryAfterSeconds({ violated: [] })).toBe(1);
  });
});

describe("pickReported", () => {
  it("prefers the lowest priority number, then the longest wait, then rule order", () => {
    const a = outcome({ name: "a", priority: 20, retryAfterMs: 9000 });
    const b = outcome({ name: "b", priority: 10, retryAfterMs: 100 });
    const c = outcome({ name: "c", priority: 10, retryAfterMs: 500 });
    const d = outcome({ name: "d", priority: 10, retryAfterMs: 500 });
    expect(pickReported([a, b, c, d])?.name).toBe("c");
    expect(pickReported([])).toBeUndefined();
  });
});
