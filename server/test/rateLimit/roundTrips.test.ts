import { afterAll, describe, expect, it } from "vitest";
import { createRateLimiter } from "../../src/rateLimit/index.js";
import { commandsSent, connectTestRedis } from "#test-support/redis.js";
import { rule } from "./support.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { LIMITER_DEFAULTS } from "./configDefaults.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());

const prefix = prefixPerTest(redis);

describe("round trips", () => {
  it.each([1, 3, 10])("sends exactly one command per check with %i matching rules", async (ruleCount) => {
    // A connection of its own, so the first call (EVAL, then EVALSHA) is counted too.
    const connection = connectTestRedis();
    try {
      await connection.ping();
      const rules = Array.from({ length: ruleCount }, (_, i) =>
        rule({ name: `r${i}`, key: (["ip", "user", "global"] as const)[i % 3]!, limit: 100, windowMs: 60_000 }),
      );
      const limiter = createRateLimiter({ ...LIMITER_DEFAULTS, redis: connection, keyPrefix: prefix(), rules });
      const request = { route: "POST /jobs/email", ip: "10.0.0.1", userId: "u1" };
      for (let check = 0; check < 3; check++) {
        const { names: sent } = await commandsSent(connection, async () => {
          const decision = await limiter.check(request);
          expect(decision.allowed).toBe(true);
          expect(decision.outcomes).toHaveLength(ruleCount);
        });
        expect(sent).toHaveLength(1);
        expect(sent[0]).toMatch(/^eval(sha)?$/);
      }
    } finally {
      await connection.quit();
    }
  });

  it("sends nothing when no rule matches the request", async () => {
    const limiter = createRateLimiter({
      ...LIMITER_DEFAULTS,
      redis,
      keyPrefix: prefix(),
      rules: [rule({ name: "email", key: "user", limit: 1, windowMs: 60_000, routes: ["POST /jobs/email"] })],
    });
    const { names: sent } = await commandsSent(redis, async () => {
      const decision = await limiter.check({ route: "GET /jobs/1", ip: "10.0.0.1", userId: "u1" });
      expect(decision).toMatchObject({ allowed: true, outcomes: [], violated: [] });
    });
    expect(sent).toHaveLength(0);
  });
});
