import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { rateLimitKeyPrefix, slidingWindowScript, type SlidingWindowCommands } from "../../src/rateLimit/index.js";
import { connectTestRedis, type TestRedis } from "#test-support/redis.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());

const prefix = prefixPerTest(redis);
/** The limiter's key prefix: a multi-key script's keys share the `{rl}` hash tag on a cluster. */
const rl = () => rateLimitKeyPrefix(prefix(), redis.isCluster);

/** The policy version key the script compares (`policyVersion` under the limiter's prefix). */
const versionKey = () => `${rl()}:policy:version`;

/**
 * The script through defineCommand, as the limiter calls it: the rule keys and the policy's
 * version key, the member id and the caller's version ("" = no comparison), then limit, window,
 * cost and mode ("e" unless given) per rule.
 */
function slidingWindow(
  client: TestRedis,
  keys: string[],
  id: string,
  perRule: ([limit: number, windowMs: number, cost: number] | [limit: number, windowMs: number, cost: number, mode: "e" | "s"])[],
  version = "",
) {
  defineLuaCommands(client, [slidingWindowScript]);
  const ruleArgs = perRule.flatMap(([limit, windowMs, cost, mode]) => [limit, windowMs, cost, mode ?? "e"]);
  return (client as unknown as SlidingWindowCommands).slidingWindow(keys.length + 1, ...keys, versionKey(), id, version, ...ruleArgs);
}

describe("slidingWindow-n.lua", () => {
  it("loads into Redis (SCRIPT LOAD returns the sha1 of the file)", async () => {
    const source = readFileSync(new URL("../../src/rateLimit/lua/slidingWindow-n.lua", import.meta.url), "utf8");
    expect(slidingWindowScript.name).toBe("slidingWindow");
    expect(slidingWindowScript.numberOfKeys).toBeUndefined();
    const sha = await redis.script("LOAD", source);
    expect(sha).toBe(createHash("sha1").update(source).digest("hex"));
  });

  it("registers through defineCommand and answers one admitted flag plus four integers per rule", async () => {
    const a = `${rl()}:rl:a:x`;
    const b = `${rl()}:rl:b:x`;
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
    const tight = `${rl()}:rl:tight:x`;
    const loose = `${rl()}:rl:loose:x`;
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
    const key = `${rl()}:rl:a:x`;
    const [seconds] = await redis.time();
    await slidingWindow(redis, [key], "m1", [[5, 60_000, 1]]);
    await slidingWindow(redis, [key], "m2", [[5, 60_000, 2]]);
    const [first, score, ...rest] = await redis.zrange(key, 0, "-1", "WITHSCORES");
    expect(score).toMatch(/^\d{16}$/);
    expect(Math.floor(Number(score) / 1e6)).toBeGreaterThanOrEqual(Number(seconds));
    expect(first).toBe(`${score}:m1`);
    expect([rest[0], rest[2]]).toEqual([`${rest[1]}:m2:1`, `${rest[1]}:m2:2`]);
  });

  it("still reads the wait of members it did not write (no score prefix())", async () => {
    const key = `${rl()}:rl:a:x`;
    const [seconds, micros] = await redis.time();
    await redis.zadd(key, `${seconds}${String(micros).padStart(6, "0")}`, "legacy");
    const reply = await slidingWindow(redis, [key], "m1", [[1, 10_000, 1]]);
    expect(reply[0]).toBe(0);
    expect(reply[3]).toBeGreaterThan(9000);
    expect(reply[3]).toBeLessThanOrEqual(10_000);
  });
});

describe("slidingWindow-n.lua with entries that have left the window", () => {
  const WINDOW = 2000;

  /** Redis clock in integer µs. */
  async function nowUs(): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1e6 + Number(micros);
  }

  /** Writes members as the script does ("<us>:<id>", scored <us>), each `msAgo` before now. */
  async function seed(key: string, msAgo: number[]): Promise<string[]> {
    const now = await nowUs();
    const members = msAgo.map((ago, i) => `${now - ago * 1000}:seed${i}`);
    await redis.zadd(key, ...members.flatMap((m) => [m.split(":")[0]!, m]));
    return members;
  }

  it.each([
    { left: 1, case: "one left: removed with the two fetched oldest in hand" },
    { left: 2, case: "both fetched left, more stored: counted with ZCOUNT" },
    { left: 3, case: "more than two left: removed by score" },
    { left: 5, case: "a quiet spell: many left" },
  ])("counts only the window and removes what left it when admitting ($case)", async ({ left }) => {
    const key = `${rl()}:rl:a:x`;
    const gone = await seed(key, [...Array.from({ length: left }, (_, i) => 9000 - i * 100), 1500, 500]);
    const reply = await slidingWindow(redis, [key], "m1", [[3, WINDOW, 1]]);
    // Two counted + this one = 3: admitted, nothing remains; the 1500-ms-old entry leaves first, in ~500 ms.
    expect(reply.slice(0, 3)).toEqual([1, 1, 0]);
    expect(reply[3]).toBeGreaterThan(300);
    expect(reply[3]).toBeLessThanOrEqual(500);
    expect(reply[4]).toBe(0);
    const stored = await redis.zrange(key, 0, "-1");
    expect(stored).toHaveLength(3);
    for (const member of gone.slice(0, left)) expect(stored).not.toContain(member);
  });

  it("admits into a set whose every entry has left, and reports a whole window", async () => {
    const key = `${rl()}:rl:a:x`;
    await seed(key, [9000, 8000, 7000, 6000]);
    expect(await slidingWindow(redis, [key], "m1", [[1, WINDOW, 1]])).toEqual([1, 1, 0, WINDOW, 0]);
    expect(await redis.zcard(key)).toBe(1);
  });

  it.each([0, 1, 2, 4])(
    "writes nothing on a denial, not even the removal of %i entries that left, and finds the wait by rank past them",
    async (left) => {
      const key = `${rl()}:rl:a:x`;
      await seed(key, [...Array.from({ length: left }, (_, i) => 9000 - i * 100), 1500, 1000, 500]);
      const before = await redis.zrange(key, 0, "-1", "WITHSCORES");
      await redis.pexpire(key, 50_000);
      // 3 counted + cost 2 > 3: two units must leave, so the wait ends when the second oldest
      // counted entry (1000 ms old) leaves, in ~1000 ms.
      const reply = await slidingWindow(redis, [key], "m1", [[3, WINDOW, 2]]);
      expect(reply.slice(0, 3)).toEqual([0, 0, 0]);
      expect(reply[3]).toBeGreaterThan(300);
      expect(reply[3]).toBeLessThanOrEqual(500);
      expect(reply[4]).toBeGreaterThan(800);
      expect(reply[4]).toBeLessThanOrEqual(1000);
      expect(await redis.zrange(key, 0, "-1", "WITHSCORES")).toEqual(before);
      expect(await redis.pttl(key)).toBeGreaterThan(WINDOW);
    },
  );

  it("does not trim a rule that admits when another rule denies", async () => {
    const loose = `${rl()}:rl:loose:x`;
    const tight = `${rl()}:rl:tight:x`;
    const stale = await seed(loose, [5000]);
    await seed(tight, [100]);
    const reply = await slidingWindow(redis, [loose, tight], "m1", [
      [10, WINDOW, 1],
      [1, WINDOW, 1],
    ]);
    expect(reply[0]).toBe(0);
    // The loose rule would admit: its stale entry is not counted...
    expect(reply.slice(1, 5)).toEqual([1, 10, 0, 0]);
    // ...and not removed either, since the request was denied.
    expect(await redis.zrange(loose, 0, "-1")).toEqual(stale);
  });
});

describe("slidingWindow-n.lua and the stored policy", () => {
  it("refuses a caller whose policy version is not the stored one, writing nothing", async () => {
    const key = `${rl()}:rl:a:x`;
    await redis.set(versionKey(), "7");
    expect(await slidingWindow(redis, [key], "m1", [[5, 60_000, 1]], "6")).toEqual([-1, "7"]);
    expect(await redis.exists(key)).toBe(0);
    // The current version is checked and recorded as usual.
    expect(await slidingWindow(redis, [key], "m2", [[5, 60_000, 1]], "7")).toEqual([1, 1, 4, 60_000, 0]);
    // No stored version: a caller with one is stale too (the policy was removed), "" never is.
    await redis.del(versionKey());
    expect(await slidingWindow(redis, [key], "m3", [[5, 60_000, 1]], "7")).toEqual([-1, ""]);
    expect(await slidingWindow(redis, [key], "m4", [[5, 60_000, 1]])).toEqual([1, 1, 3, expect.any(Number), 0]);
  });

  it("never denies for a shadow rule, and records in it only what it would admit", async () => {
    const shadow = `${rl()}:rl:shadow:x`;
    const enforced = `${rl()}:rl:enforced:x`;
    const rules = [
      [2, 60_000, 1, "s"],
      [100, 60_000, 1, "e"],
    ] as const;
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await slidingWindow(redis, [shadow, enforced], `m${i}`, [[...rules[0]], [...rules[1]]]));
    // All admitted; the shadow rule would deny the third and fourth.
    expect(replies.map((reply) => reply[0])).toEqual([1, 1, 1, 1]);
    expect(replies.map((reply) => reply[1])).toEqual([1, 1, 0, 0]);
    expect(await redis.zcard(shadow)).toBe(2);
    expect(await redis.zcard(enforced)).toBe(4);
    // Enforced, the same set denies at once.
    expect((await slidingWindow(redis, [shadow, enforced], "m9", [[2, 60_000, 1, "e"], [...rules[1]]]))[0]).toBe(0);
  });

  it("denies everything under a limit of 0 (a deny-list override) and records nothing", async () => {
    const key = `${rl()}:rl:deny:x`;
    expect(await slidingWindow(redis, [key], "m1", [[0, 60_000, 1]])).toEqual([0, 0, 0, 0, 60_000]);
    expect(await redis.exists(key)).toBe(0);
  });
});
