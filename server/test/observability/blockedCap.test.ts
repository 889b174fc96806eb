import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordBlocked } from "../../src/rateLimit/index.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis, keysMatching } from "#test-support/redis.js";
import { BLOCKED_LOG_DEFAULTS } from "../rateLimit/configDefaults.js";

const redis = connectTestRedis();
const prefix = prefixPerTest(redis);
beforeAll(() => redis.ping());
afterAll(() => redis.quit());

describe("blocked log under a flood", () => {
  it("stays capped at BLOCKED_LOG_MAX (approximately) through 50 000 blocked requests, and its counter buckets expire", async () => {
    const total = 50_000;
    const at = Date.now();
    for (let start = 0; start < total; start += 1000) {
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          recordBlocked(redis, prefix(), { at, requestId: `flood-${start + i}`, ip: "203.0.113.9", route: "POST /jobs/email", rule: "tight", limit: 1, windowMs: 60_000, retryAfterMs: 1000 }, { ...BLOCKED_LOG_DEFAULTS, maxEntries: 10_000 }),
        ),
      );
    }
    const length = await redis.xlen(`${prefix()}:blocked`);
    // MAXLEN ~ trims whole stream nodes, so a little over the cap may remain; never the flood.
    expect(length).toBeGreaterThanOrEqual(10_000);
    expect(length).toBeLessThan(10_500);
    const buckets = await keysMatching(redis, `${prefix()}:metrics:blocked:*`);
    expect(buckets.length).toBeGreaterThanOrEqual(2);
    let counted = 0;
    for (const key of buckets) {
      expect(await redis.pttl(key)).toBeGreaterThan(0);
      if (key.includes(":hour:")) counted += Number(await redis.hget(key, "total"));
    }
    expect(counted).toBe(total);
  }, 120_000);
});
