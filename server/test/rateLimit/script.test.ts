import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { slidingWindowScript, type SlidingWindowCommands } from "../../src/rateLimit/index.js";
import { connectTestRedis, deletePrefix, randomPrefix } from "../../../test/support/redis.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());

let prefix: string;
beforeEach(() => {
  prefix = randomPrefix();
});
afterEach(() => deletePrefix(redis, prefix));

/** The script through defineCommand, as the limiter calls it. */
function slidingWindow(client: Redis, keys: string[], id: string, perRule: [limit: number, windowMs: number, cost: number][]) {
  defineLuaCommands(client, [slidingWindowScript]);
  return (client as unknown as SlidingWindowCommands).slidingWindow(keys.length, ...keys, id, ...perRule.flat());
}

describe("slidingWindow-n.lua", () => {
  it("loads into Redis (SCRIPT LOAD returns the sha1 of the file)", async () => {
    const source = readFileSync(new URL("../../src/rateLimit/slidingWindow-n.lua", import.meta.url), "utf8");
    expect(slidingWindowScript.name).toBe("slidingWindow");
    expect(slidingWindowScript.numberOfKeys).toBeUndefined();
    const sha = await redis.script("LOAD", source);
    expect(sha).toBe(createHash("sha1").update(source).digest("hex"));
  });

  it("registers through defineCommand and answers one admitted flag plus four integers per rule", async () => {
    const a = `${prefix}:rl:a:x`;
    const b = `${prefix}:rl:b:x`;
    const reply = await slidingWindow(redis, [a, b], "m1", [
      [3, 60_000, 1],
      [10, 5_000, 2],
    ]);
    // admitted; rule a: allows, 2 left, reset = whole window, no wait; rule b likewise with cost 2.
    expect(reply).toEqual([1, 1, 2, 60_000, 0, 1, 8, 5_000, 0]);
    expect(await redis.zcard(a)).toBe(1);
    expect(await redis.zcard(b)).toBe(2); // one member per cost unit
    expect(await redis.pttl(a)).toBeGreaterThan(55_000);
  });

  it("admits with no keys at all", async () => {
    expect(await slidingWindow(redis, [], "m1", [])).toEqual([1]);
  });

  it("records nothing on a denial: no member added, no TTL extended, no other rule touched", async () => {
    const tight = `${prefix}:rl:tight:x`;
    const loose = `${prefix}:rl:loose:x`;
    await slidingWindow(redis, [tight, loose], "m1", [
      [1, 60_000, 1],
      [100, 60_000, 1],
    ]);
    const before = { tight: await redis.zrange(tight, 0, "-1", "WITHSCORES"), loose: await redis.zrange(loose, 0, "-1", "WITHSCORES") };
    const ttlBefore = await redis.pttl(tight);
    for (let i = 0; i < 5; i++) {
      const reply = await slidingWindow(redis, [tight, loose], `m${i + 2}`, [
        [1, 60_000, 1],
        [100, 60_000, 1],
      ]);
      expect(reply[0]).toBe(0);
      expect(reply[1]).toBe(0); // the tight rule denies
      expect(reply[2]).toBe(0); // with nothing left
      expect(reply[4]).toBeGreaterThan(0); // and a positive retryAfterMs
      expect(reply[5]).toBe(1); // the loose rule alone would admit...
      expect(reply[6]).toBe(99); // ...and reports its remaining without this request
    }
    expect(await redis.zrange(tight, 0, "-1", "WITHSCORES")).toEqual(before.tight);
    expect(await redis.zrange(loose, 0, "-1", "WITHSCORES")).toEqual(before.loose);
    expect(await redis.pttl(tight)).toBeLessThanOrEqual(ttlBefore);
  });

  it("scores members in exact integer microseconds of the Redis clock, and prefixes each member with its score", async () => {
    const key = `${prefix}:rl:a:x`;
    const [seconds] = await redis.time();
    await slidingWindow(redis, [key], "m1", [[5, 60_000, 1]]);
    await slidingWindow(redis, [key], "m2", [[5, 60_000, 2]]);
    const [first, score, ...rest] = await redis.zrange(key, 0, "-1", "WITHSCORES");
    expect(score).toMatch(/^\d{16}$/);
    expect(Math.floor(Number(score) / 1e6)).toBeGreaterThanOrEqual(Number(seconds));
    expect(first).toBe(`${score}:m1`);
    expect([rest[0], rest[2]]).toEqual([`${rest[1]}:m2:1`, `${rest[1]}:m2:2`]);
  });

  it("still reads the wait of members it did not write (no score prefix)", async () => {
    const key = `${prefix}:rl:a:x`;
    const [seconds, micros] = await redis.time();
    await redis.zadd(key, `${seconds}${String(micros).padStart(6, "0")}`, "legacy");
    const reply = await slidingWindow(redis, [key], "m1", [[1, 10_000, 1]]);
    expect(reply[0]).toBe(0);
    expect(reply[3]).toBeGreaterThan(9000);
    expect(reply[3]).toBeLessThanOrEqual(10_000);
  });
});
