import { afterAll, describe, expect, it } from "vitest";
import { redisKeys } from "@taskgate/shared";
import { createRateLimiter, rateLimitKeyPrefix } from "../../src/rateLimit/index.js";
import { connectTestRedis, keysMatching } from "#test-support/redis.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { rule } from "./support.js";
import { LIMITER_DEFAULTS } from "./configDefaults.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());

const prefix = prefixPerTest(redis);
const request = { route: "POST /jobs/email", ip: "10.0.0.1", userId: "u1" };

function limiterOf(limit: number, windowMs = 60_000) {
  return createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "per-user", key: "user", limit, windowMs }), rule({ name: "per-ip", key: "ip", limit: limit * 10, windowMs })] });
}

/** Every member, score and TTL of a rule key: what a peek must leave exactly as it was. */
async function snapshot(key: string) {
  return { members: await redis.zrange(key, 0, "-1", "WITHSCORES"), ttlSet: (await redis.pttl(key)) > 0 };
}

describe("peek: what a check would answer, recording nothing", () => {
  it("reports what each rule has left now and leaves the sets and their TTLs as they were", async () => {
    const limiter = limiterOf(3);
    const key = redisKeys(rateLimitKeyPrefix(prefix(), redis.isCluster)).rateLimit("per-user", 60_000, "u1");
    expect((await limiter.check(request)).allowed).toBe(true);
    expect((await limiter.check(request)).allowed).toBe(true);
    const before = await snapshot(key);

    for (let i = 0; i < 5; i++) {
      const peeked = await limiter.peek(request);
      expect(peeked.allowed).toBe(true);
      expect(peeked.outcomes.map((o) => [o.name, o.remaining])).toEqual([
        ["per-user", 1],
        ["per-ip", 28],
      ]);
      expect(peeked.outcomes[0]!.resetMs).toBeGreaterThan(0);
    }
    expect(await snapshot(key)).toEqual(before);
    // The peeks took nothing: the third check still passes, the fourth does not.
    expect((await limiter.check(request)).allowed).toBe(true);
    expect((await limiter.check(request)).allowed).toBe(false);
  });

  it("reports a used-up rule as denying, with its wait, and creates no key for an identity never checked", async () => {
    const limiter = limiterOf(1);
    expect((await limiter.check(request)).allowed).toBe(true);
    const full = await limiter.peek(request);
    expect(full.allowed).toBe(false);
    expect(full.violated.map((o) => [o.name, o.remaining])).toEqual([["per-user", 0]]);
    expect(full.reported?.retryAfterMs).toBeGreaterThan(0);

    const limiterKeys = () => keysMatching(redis, `${rateLimitKeyPrefix(prefix(), redis.isCluster)}*`).then((keys) => keys.sort());
    const keysBefore = await limiterKeys();
    expect(keysBefore.length).toBeGreaterThan(0);
    const stranger = await limiter.peek({ ...request, userId: "never-seen", ip: "10.9.9.9" });
    expect(stranger.allowed).toBe(true);
    expect(stranger.outcomes.map((o) => [o.remaining, o.resetMs])).toEqual([
      [1, 0],
      [10, 0],
    ]);
    expect(await limiterKeys()).toEqual(keysBefore);
  });
});
