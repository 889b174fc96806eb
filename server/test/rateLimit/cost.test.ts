import { afterAll, describe, expect, it } from "vitest";
import { emailJobInput, redisKeys } from "@taskgate/shared";
import { createRateLimiter, formatRateLimit, rateLimitKeyPrefix, recipientCount, requestCost } from "../../src/rateLimit/index.js";
import { connectTestRedis } from "#test-support/redis.js";
import { parseList } from "#test-support/structuredFields.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { rule } from "./support.js";
import { LIMITER_DEFAULTS } from "./configDefaults.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());

const prefix = prefixPerTest(redis);
const rateLimitKeys = () => redisKeys(rateLimitKeyPrefix(prefix(), redis.isCluster));

const addresses = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@example.com`);
/** A mail request as the middleware would describe it: its recipients counted from the validated input. */
function mail(to: string[], more: { cc?: string[]; bcc?: string[] } = {}) {
  const input = emailJobInput.parse({ to, ...more, subject: "s", text: "t" });
  return { route: "POST /jobs/email", ip: "10.0.0.1", userId: "u1", recipients: recipientCount(input) };
}
/** `r` of each rule in the `RateLimit` header of a decision. */
const remainingInHeader = (decision: { outcomes: Parameters<typeof formatRateLimit>[0] }) => parseList(formatRateLimit(decision.outcomes)).map((item) => item.params.r);

describe("recipientCount and requestCost", () => {
  it("counts to + cc + bcc, a single address as one", () => {
    expect(recipientCount({ to: "a@example.com" })).toBe(1);
    expect(recipientCount({ to: ["a@example.com", "b@example.com"], cc: "c@example.com", bcc: ["d@example.com", "e@example.com"] })).toBe(5);
    // A repeated address is sent to each time, so it is charged each time.
    expect(recipientCount({ to: ["a@example.com", "a@example.com"] })).toBe(2);
  });

  it("gives undefined for an input that is not a mail", () => {
    expect(recipientCount(undefined)).toBeUndefined();
    expect(recipientCount(null)).toBeUndefined();
    expect(recipientCount("x")).toBeUndefined();
    expect(recipientCount({ queue: "email", jobId: "1" })).toBeUndefined();
  });

  it('charges a fixed cost whatever the recipients, and "recipients" at least 1', () => {
    expect(requestCost({ cost: 3 }, { recipients: 10 })).toBe(3);
    expect(requestCost({ cost: "recipients" }, { recipients: 10 })).toBe(10);
    expect(requestCost({ cost: "recipients" }, {})).toBe(1);
    expect(requestCost({ cost: "recipients" }, { recipients: 0 })).toBe(1);
    expect(requestCost({ cost: "recipients" }, { recipients: Number.NaN })).toBe(1);
  });
});

describe('cost: "recipients"', () => {
  it("admits 3 of 5, denies a further 3 without recording anything, then admits 2; RateLimit r follows the cost", async () => {
    const limiter = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "per-recipient", key: "user", limit: 5, windowMs: 60_000, cost: "recipients" })] });
    const key = rateLimitKeys().rateLimit("per-recipient", 60_000, "u1");

    const first = await limiter.check(mail(addresses(2), { cc: ["c@example.com"] }));
    expect(first.allowed).toBe(true);
    expect(first.outcomes[0]).toMatchObject({ cost: 3, remaining: 2, allowed: true });
    expect(remainingInHeader(first)).toEqual([2]);
    expect(await redis.zcard(key)).toBe(3);
    const members = await redis.zrange(key, 0, "-1", "WITHSCORES");
    const ttl = await redis.pttl(key);

    const denied = await limiter.check(mail(addresses(1), { bcc: ["b1@example.com", "b2@example.com"] }));
    expect(denied.allowed).toBe(false);
    expect(denied.reported).toMatchObject({ name: "per-recipient", cost: 3, remaining: 2, allowed: false });
    // 3 counted + 3 > 5: one unit must leave, i.e. the first request's (its units share one time).
    expect(denied.reported!.retryAfterMs).toBeGreaterThan(0);
    expect(denied.reported!.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(denied.reported!.retryAfterMs).toBe(denied.reported!.resetMs);
    expect(remainingInHeader(denied)).toEqual([2]);
    expect(await redis.zrange(key, 0, "-1", "WITHSCORES")).toEqual(members);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(ttl);

    const last = await limiter.check(mail(addresses(2)));
    expect(last.allowed).toBe(true);
    expect(last.outcomes[0]).toMatchObject({ cost: 2, remaining: 0 });
    expect(remainingInHeader(last)).toEqual([0]);
    expect(await redis.zcard(key)).toBe(5);

    expect((await limiter.check(mail(addresses(1)))).allowed).toBe(false);
  });

  it("denies a request whose recipients alone exceed the limit, recording nothing, with a whole window to wait", async () => {
    const limiter = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "per-recipient", key: "user", limit: 5, windowMs: 60_000, cost: "recipients" })] });
    const denied = await limiter.check(mail(addresses(6)));
    expect(denied.allowed).toBe(false);
    expect(denied.reported).toMatchObject({ cost: 6, remaining: 5, retryAfterMs: 60_000, resetMs: 0 });
    expect(remainingInHeader(denied)).toEqual([5]);
    expect(await redis.exists(rateLimitKeys().rateLimit("per-recipient", 60_000, "u1"))).toBe(0);
    // The rule is not used up by it: 5 recipients still pass.
    expect((await limiter.check(mail(addresses(5)))).allowed).toBe(true);
  });

  it("charges each rule its own cost in the one check, and a denial by one writes to none", async () => {
    const limiter = createRateLimiter({
      ...LIMITER_DEFAULTS,
      redis,
      keyPrefix: prefix(),
      rules: [
        rule({ name: "recipients", key: "user", limit: 10, windowMs: 60_000, cost: "recipients" }),
        rule({ name: "requests", key: "ip", limit: 10, windowMs: 60_000 }),
        rule({ name: "heavy", key: "global", limit: 10, windowMs: 60_000, cost: 2 }),
      ],
    });
    const keys = rateLimitKeys();
    const admitted = await limiter.check(mail(addresses(4), { cc: addresses(3) }));
    expect(admitted.outcomes.map((o) => [o.name, o.cost, o.remaining])).toEqual([["recipients", 7, 3], ["requests", 1, 9], ["heavy", 2, 8]]);
    expect(remainingInHeader(admitted)).toEqual([3, 9, 8]);

    const denied = await limiter.check(mail(addresses(4)));
    expect(denied.violated.map((o) => o.name)).toEqual(["recipients"]);
    expect(denied.outcomes.map((o) => o.remaining)).toEqual([3, 9, 8]);
    expect([await redis.zcard(keys.rateLimit("recipients", 60_000, "u1")), await redis.zcard(keys.rateLimit("requests", 60_000, "10.0.0.1")), await redis.zcard(keys.rateLimit("heavy", 60_000, "global"))]).toEqual([7, 1, 2]);
  });

  it("charges a request that is not a mail 1", async () => {
    const limiter = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "per-recipient", key: "ip", limit: 2, windowMs: 60_000, cost: "recipients" })] });
    const read = { route: "GET /jobs/status/:queue/:jobId", ip: "10.0.0.1" };
    expect((await limiter.check(read)).outcomes[0]).toMatchObject({ cost: 1, remaining: 1 });
    expect((await limiter.check(read)).outcomes[0]).toMatchObject({ cost: 1, remaining: 0 });
    expect((await limiter.check(read)).allowed).toBe(false);
  });

  it("records a cost larger than one ZADD batch exactly (450 units)", async () => {
    const limiter = createRateLimiter({ ...LIMITER_DEFAULTS, redis, keyPrefix: prefix(), rules: [rule({ name: "bulk", key: "user", limit: 1000, windowMs: 60_000, cost: "recipients" })] });
    const request = { route: "POST /jobs/email", ip: "10.0.0.1", userId: "u1", recipients: 450 };
    expect((await limiter.check(request)).outcomes[0]).toMatchObject({ cost: 450, remaining: 550 });
    expect(await redis.zcard(rateLimitKeys().rateLimit("bulk", 60_000, "u1"))).toBe(450);
    expect((await limiter.check({ ...request, recipients: 551 })).allowed).toBe(false);
    expect((await limiter.check({ ...request, recipients: 550 })).outcomes[0]).toMatchObject({ allowed: true, remaining: 0 });
  });
});
