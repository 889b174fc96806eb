import { afterAll, describe, expect, it } from "vitest";
import { redisKeys } from "@taskgate/shared";
import { compilePolicy, createRateLimiter, rateLimitKeyPrefix, retryAfterSeconds, type PolicySource, type StoredOverride } from "../../src/rateLimit/index.js";
import { connectTestRedis } from "#test-support/redis.js";
import { sleep } from "#test-support/time.js";
import { rule } from "./support.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { LIMITER_DEFAULTS } from "./configDefaults.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());

const prefix = prefixPerTest(redis);
/** The limiter's key builders (on a cluster its keys carry the `{rl}` hash tag). */
const rateLimitKeys = () => redisKeys(rateLimitKeyPrefix(prefix(), redis.isCluster));

const request = { route: "POST /jobs/email", ip: "10.0.0.1", userId: "u1" };

/** Redis clock in integer microseconds, the unit of the script's scores. */
async function redisNowUs(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1e6 + Number(micros);
}

/** Score (µs) of the entry at `rank` (0 = oldest) of a rule key. */
async function scoreAt(key: string, rank: number): Promise<number> {
  const [, score] = await redis.zrange(key, rank, String(rank), "WITHSCORES");
  return Number(score);
}

describe("sliding window", () => {
  it("admits again once the window has slid past the earlier requests, and trims them", async () => {
    const limiter = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "r", key: "user", limit: 3, windowMs: 1000 })] });
    for (let i = 0; i < 3; i++) expect((await limiter.check(request)).allowed).toBe(true);
    const denied = await limiter.check(request);
    expect(denied.allowed).toBe(false);
    expect(denied.reported?.retryAfterMs).toBeGreaterThan(0);
    expect(denied.reported?.retryAfterMs).toBeLessThanOrEqual(1000);
    await sleep(1100);
    const again = await limiter.check(request);
    expect(again.allowed).toBe(true);
    expect(again.outcomes[0]?.remaining).toBe(2);
    expect(await redis.zcard(rateLimitKeys().rateLimit("r", 1000, "u1"))).toBe(1);
  });

  it("does not extend the lock-out or grow the set when hammered at 3x the limit while denied", async () => {
    const limiter = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "r", key: "user", limit: 5, windowMs: 1500 })] });
    const key = rateLimitKeys().rateLimit("r", 1500, "u1");
    for (let i = 0; i < 5; i++) expect((await limiter.check(request)).allowed).toBe(true);

    const first = await limiter.check(request);
    const firstAnsweredAt = performance.now();
    expect(first.allowed).toBe(false);
    const waitMs = first.reported!.retryAfterMs;
    const members = await redis.zrange(key, 0, "-1", "WITHSCORES");

    // 15 more denied requests, spread over the first part of the wait.
    for (let round = 0; round < 3; round++) {
      const decisions = await Promise.all(Array.from({ length: 5 }, () => limiter.check(request)));
      for (const decision of decisions) {
        expect(decision.allowed).toBe(false);
        expect(decision.reported!.retryAfterMs).toBeLessThanOrEqual(waitMs);
      }
      await sleep(waitMs / 6);
    }
    expect(await redis.zrange(key, 0, "-1", "WITHSCORES")).toEqual(members);

    // The first retry after the first denial's wait passes.
    await sleep(Math.max(0, firstAnsweredAt + waitMs - performance.now()) + 5);
    expect((await limiter.check(request)).allowed).toBe(true);
  });

  it("reports retryAfterMs exactly from the Redis clock at the window's edge, and Retry-After is never earlier", async () => {
    const limiter = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "r", key: "user", limit: 2, windowMs: 2000 })] });
    const key = rateLimitKeys().rateLimit("r", 2000, "u1");
    expect((await limiter.check(request)).allowed).toBe(true);
    await sleep(300);
    expect((await limiter.check(request)).allowed).toBe(true);

    const oldest = await scoreAt(key, 0);
    const before = await redisNowUs();
    const denied = await limiter.check(request);
    const after = await redisNowUs();
    expect(denied.allowed).toBe(false);
    const retryAfterMs = denied.reported!.retryAfterMs;
    // The oldest entry leaves at oldest + window; the script read its clock between before and after.
    expect(retryAfterMs).toBeGreaterThanOrEqual(Math.ceil((oldest + 2_000_000 - after) / 1000));
    expect(retryAfterMs).toBeLessThanOrEqual(Math.ceil((oldest + 2_000_000 - before) / 1000));
    expect(denied.reported!.resetMs).toBe(retryAfterMs);

    const seconds = retryAfterSeconds(denied);
    expect(seconds * 1000).toBeGreaterThanOrEqual((oldest + 2_000_000 - before) / 1000);
    await sleep(seconds * 1000);
    expect((await limiter.check(request)).allowed).toBe(true);
  });

  it("finds the wait by rank when costs differ (a rule whose cost changed between deploys)", async () => {
    const key = rateLimitKeys().rateLimit("r", 5000, "u1");
    const cheap = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "r", key: "user", limit: 5, windowMs: 5000, cost: 1 })] });
    for (let i = 0; i < 3; i++) {
      expect((await cheap.check(request)).allowed).toBe(true);
      await sleep(30);
    }
    // 3 counted + cost 4 > 5: two units must leave, so the wait ends when the second oldest leaves.
    const dear = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "r", key: "user", limit: 5, windowMs: 5000, cost: 4 })] });
    const second = await scoreAt(key, 1);
    const before = await redisNowUs();
    const denied = await dear.check(request);
    const after = await redisNowUs();
    expect(denied.allowed).toBe(false);
    expect(denied.reported!.remaining).toBe(2);
    expect(denied.reported!.retryAfterMs).toBeGreaterThanOrEqual(Math.ceil((second + 5_000_000 - after) / 1000));
    expect(denied.reported!.retryAfterMs).toBeLessThanOrEqual(Math.ceil((second + 5_000_000 - before) / 1000));
    expect(denied.reported!.retryAfterMs).toBeGreaterThan(denied.reported!.resetMs);
  });
});

describe("cost", () => {
  it("counts a request of cost 3 as three units", async () => {
    const limiter = createRateLimiter({
      ...LIMITER_DEFAULTS,
      redis,
      keyPrefix: prefix(),
      rules: [rule({ name: "heavy", key: "user", limit: 10, windowMs: 60_000, cost: 3 }), rule({ name: "light", key: "ip", limit: 10, windowMs: 60_000 })],
    });
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const decision = await limiter.check(request);
      expect(decision.allowed).toBe(true);
      remaining.push(decision.outcomes[0]!.remaining);
    }
    expect(remaining).toEqual([7, 4, 1]);
    const denied = await limiter.check(request);
    expect(denied.allowed).toBe(false);
    expect(denied.violated.map((o) => o.name)).toEqual(["heavy"]);
    expect(denied.outcomes.map((o) => o.remaining)).toEqual([1, 7]);
    const keys = rateLimitKeys();
    expect(await redis.zcard(keys.rateLimit("heavy", 60_000, "u1"))).toBe(9);
    expect(await redis.zcard(keys.rateLimit("light", 60_000, "10.0.0.1"))).toBe(3);
  });
});

describe("reported rule", () => {
  it("reports the violated rule with the lowest priority number", async () => {
    const limiter = createRateLimiter({
      ...LIMITER_DEFAULTS,
      redis,
      keyPrefix: prefix(),
      rules: [
        rule({ name: "ip-rule", key: "ip", limit: 1, windowMs: 60_000, priority: 50 }),
        rule({ name: "user-rule", key: "user", limit: 1, windowMs: 60_000, priority: 10 }),
        rule({ name: "roomy", key: "global", limit: 100, windowMs: 60_000, priority: 1 }),
      ],
    });
    await limiter.check(request);
    const denied = await limiter.check(request);
    expect(denied.violated.map((o) => o.name)).toEqual(["ip-rule", "user-rule"]);
    expect(denied.outcomes).toHaveLength(3);
    expect(denied.reported?.name).toBe("user-rule");
  });

  it("breaks a priority tie with the longest wait", async () => {
    const limiter = createRateLimiter({
      ...LIMITER_DEFAULTS,
      redis,
      keyPrefix: prefix(),
      rules: [rule({ name: "short", key: "ip", limit: 1, windowMs: 2000 }), rule({ name: "long", key: "user", limit: 1, windowMs: 9000 })],
    });
    await limiter.check(request);
    const denied = await limiter.check(request);
    expect(denied.reported?.name).toBe("long");
    expect(retryAfterSeconds(denied)).toBe(Math.ceil(denied.reported!.retryAfterMs / 1000));
  });
});

describe("a rule's window is part of its key", () => {
  it("starts a fresh count when the window of a rule changes, and leaves the old set as it was", async () => {
    const before = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "r", key: "user", limit: 2, windowMs: 60_000 })] });
    expect([(await before.check(request)).allowed, (await before.check(request)).allowed, (await before.check(request)).allowed]).toEqual([true, true, false]);
    const after = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "r", key: "user", limit: 2, windowMs: 30_000 })] });
    const decision = await after.check(request);
    expect(decision.allowed).toBe(true);
    expect(decision.outcomes[0]?.remaining).toBe(1);
    const keys = rateLimitKeys();
    expect([await redis.zcard(keys.rateLimit("r", 60_000, "u1")), await redis.zcard(keys.rateLimit("r", 30_000, "u1"))]).toEqual([2, 1]);
  });

  it("counts an override with a window of its own on a set of its own, and one without on the rule's", async () => {
    const rules = [rule({ name: "r", key: "user", limit: 2, windowMs: 60_000 })];
    const plain = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules });
    for (const userId of ["u1", "u2"]) for (let i = 0; i < 2; i++) expect((await plain.check({ ...request, userId })).allowed).toBe(true);
    const override = (identity: string, windowMs: number | null): StoredOverride => ({ rule: "r", identity, limit: 5, windowMs, expiresAt: null, reason: null, createdAt: 0, createdBy: "test" });
    const active = compilePolicy("", rules, [override("user:u1", 30_000), override("user:u2", null)], Date.now());
    const policy: PolicySource = { current: () => active, reload: () => Promise.resolve() };
    const overridden = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), policy });
    const own = await overridden.check({ ...request, userId: "u1" });
    const shared = await overridden.check({ ...request, userId: "u2" });
    expect([own.allowed, own.outcomes[0]?.windowMs, own.outcomes[0]?.remaining]).toEqual([true, 30_000, 4]);
    expect([shared.allowed, shared.outcomes[0]?.windowMs, shared.outcomes[0]?.remaining]).toEqual([true, 60_000, 2]);
  });
});
