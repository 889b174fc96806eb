import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { rateLimitKeyPrefix, slidingWindowScript, type SlidingWindowCommands } from "../../src/rateLimit/index.js";
import { RULE_ARG_BYTES, writeRuleArg } from "../../src/rateLimit/scripts.js";
import { connectTestRedis, type TestRedis } from "#test-support/redis.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { pollUntil } from "#test-support/time.js";

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
 * cost and mode ("e" unless given) per rule, packed as the limiter packs them.
 */
function slidingWindow(
  client: TestRedis,
  keys: string[],
  id: string,
  perRule: ([limit: number, windowMs: number, cost: number] | [limit: number, windowMs: number, cost: number, mode: "e" | "s"])[],
  version = "",
) {
  defineLuaCommands(client, [slidingWindowScript]);
  const rules = Buffer.alloc(RULE_ARG_BYTES * perRule.length);
  perRule.forEach(([limit, windowMs, cost, mode], i) => writeRuleArg(rules, i, limit, windowMs, cost, mode === "s"));
  return (client as unknown as SlidingWindowCommands).slidingWindow(keys.length + 1, ...keys, versionKey(), id, version, rules);
}

/** Whether each rule alone would admit: the short reply (1 + 2n) says all do; the long one has retryAfterMs 0 for those that do. */
function admits(reply: number[], rules: number): boolean[] {
  return Array.from({ length: rules }, (_, i) => reply.length === 1 + 2 * rules || reply[3 * i + 3] === 0);
}

describe("slidingWindow-n.lua", () => {
  it("loads into Redis (SCRIPT LOAD returns the sha1 of the file)", async () => {
    const source = readFileSync(new URL("../../src/rateLimit/lua/slidingWindow-n.lua", import.meta.url), "utf8");
    expect(slidingWindowScript.name).toBe("slidingWindow");
    expect(slidingWindowScript.numberOfKeys).toBeUndefined();
    const sha = await redis.script("LOAD", source);
    expect(sha).toBe(createHash("sha1").update(source).digest("hex"));
  });

  it("registers through defineCommand and answers the admitted flag plus remaining and resetMs per rule when every rule admits", async () => {
    const a = `${rl()}:rl:a:60000:x`;
    const b = `${rl()}:rl:b:5000:x`;
    const reply = await slidingWindow(redis, [a, b], "m1", [
      [3, 60_000, 1],
      [10, 5_000, 2],
    ]);
    // admitted; rule a: 2 left, reset = whole window; rule b likewise with cost 2. No rule
    // would deny, so the retryAfterMs (all 0) are left out.
    expect(reply).toEqual([1, 2, 60_000, 8, 5_000]);
    expect(await redis.zcard(a)).toBe(1);
    expect(await redis.zcard(b)).toBe(2); // one member per cost unit
    // A new set lives two windows (see the TTL tests below).
    expect(await redis.pttl(a)).toBeGreaterThan(60_000);
  });

  it("answers three integers per rule (remaining, resetMs, retryAfterMs) when some rule would deny", async () => {
    const key = `${rl()}:rl:a:60000:x`;
    const roomy = `${rl()}:rl:b:60000:x`;
    await slidingWindow(redis, [key, roomy], "m1", [[1, 60_000, 1], [5, 60_000, 1]]);
    const reply = await slidingWindow(redis, [key, roomy], "m2", [[1, 60_000, 1], [5, 60_000, 1]]);
    expect(reply).toHaveLength(7);
    expect(reply[0]).toBe(0);
    expect(reply.slice(1, 3)).toEqual([0, reply[3]]); // nothing left; the wait is the oldest's
    expect(reply[3]).toBeGreaterThan(59_000);
    expect(reply.slice(4)).toEqual([4, reply[5], 0]); // the roomy rule admits: no wait
    expect(admits(reply, 2)).toEqual([false, true]);
  });

  it("refuses a rules argument that does not hold one rule per rule key, writing nothing", async () => {
    const key = `${rl()}:rl:a:60000:x`;
    defineLuaCommands(redis, [slidingWindowScript]);
    await expect((redis as unknown as SlidingWindowCommands).slidingWindow(2, key, versionKey(), "m1", "", Buffer.alloc(RULE_ARG_BYTES - 1))).rejects.toThrow(/25 bytes per rule key/);
    expect(await redis.exists(key)).toBe(0);
  });

  it("admits with no keys at all", async () => {
    expect(await slidingWindow(redis, [], "m1", [])).toEqual([1]);
  });

  it("records nothing on a denial: no member added, no TTL extended, no other rule touched", async () => {
    const tight = `${rl()}:rl:tight:60000:x`;
    const loose = `${rl()}:rl:loose:60000:x`;
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
      expect(reply[1]).toBe(0); // the tight rule has nothing left
      expect(reply[3]).toBeGreaterThan(0); // and denies, with a positive retryAfterMs
      expect(reply[6]).toBe(0); // the loose rule alone would admit...
      expect(reply[4]).toBe(99); // ...and reports its remaining without this request
    }
    expect(await redis.zrange(tight, 0, "-1", "WITHSCORES")).toEqual(before.tight);
    expect(await redis.zrange(loose, 0, "-1", "WITHSCORES")).toEqual(before.loose);
    expect(await redis.pttl(tight)).toBeLessThanOrEqual(ttlBefore);
  });

  it("scores members in exact integer microseconds of the Redis clock, and prefixes each member with its score (\"!\" where it set the TTL)", async () => {
    const key = `${rl()}:rl:a:60000:x`;
    const [seconds] = await redis.time();
    await slidingWindow(redis, [key], "m1", [[5, 60_000, 1]]);
    await slidingWindow(redis, [key], "m2", [[5, 60_000, 2]]);
    const [first, score, ...rest] = await redis.zrange(key, 0, "-1", "WITHSCORES");
    expect(score).toMatch(/^\d{16}$/);
    expect(Math.floor(Number(score) / 1e6)).toBeGreaterThanOrEqual(Number(seconds));
    // The first request made the set, so it set the TTL; the second neither made nor trimmed it.
    expect(first).toBe(`${score}!m1`);
    expect([rest[0], rest[2]]).toEqual([`${rest[1]}:m2:1`, `${rest[1]}:m2:2`]);
  });

  it("fails on a member it did not write (no score prefix) rather than miscount, writing nothing", async () => {
    // Only the script writes these sets, and the window in their key made them new with this
    // member format; a foreign member is an error (the limiter then applies its fail mode).
    const key = `${rl()}:rl:a:10000:x`;
    const [seconds, micros] = await redis.time();
    await redis.zadd(key, `${seconds}${String(micros).padStart(6, "0")}`, "legacy");
    await expect(slidingWindow(redis, [key], "m1", [[5, 10_000, 1]])).rejects.toThrow(/arithmetic/);
    expect(await redis.zrange(key, 0, "-1")).toEqual(["legacy"]);
  });
});

describe("slidingWindow-n.lua with entries that have left the window", () => {
  const WINDOW = 2000;

  /** Redis clock in integer µs. */
  async function nowUs(): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1e6 + Number(micros);
  }

  /**
   * Writes members as the script does ("<us>:<id>", or "<us>!<id>" for the ones a TTL was set
   * from; scored <us>), each `msAgo` before now.
   */
  async function seed(key: string, msAgo: number[], marked: number[] = []): Promise<string[]> {
    const now = await nowUs();
    const members = msAgo.map((ago, i) => `${now - ago * 1000}${marked.includes(i) ? "!" : ":"}seed${i}`);
    await redis.zadd(key, ...members.flatMap((m) => [m.slice(0, 16), m]));
    return members;
  }

  it.each([
    { left: 1, case: "one left: removed with the two fetched oldest in hand" },
    { left: 2, case: "both fetched left, more stored: counted with ZCOUNT" },
    { left: 3, case: "more than two left: removed by score" },
    { left: 5, case: "a quiet spell: many left" },
  ])("counts only the window and removes what left it when admitting ($case)", async ({ left }) => {
    const key = `${rl()}:rl:a:${WINDOW}:x`;
    const gone = await seed(key, [...Array.from({ length: left }, (_, i) => 9000 - i * 100), 1500, 500]);
    const reply = await slidingWindow(redis, [key], "m1", [[3, WINDOW, 1]]);
    // Two counted + this one = 3: admitted, nothing remains; the 1500-ms-old entry leaves first, in ~500 ms.
    expect(reply).toHaveLength(3);
    expect(reply.slice(0, 2)).toEqual([1, 0]);
    expect(reply[2]).toBeGreaterThan(300);
    expect(reply[2]).toBeLessThanOrEqual(500);
    const stored = await redis.zrange(key, 0, "-1");
    expect(stored).toHaveLength(3);
    for (const member of gone.slice(0, left)) expect(stored).not.toContain(member);
  });

  it("admits into a set whose every entry has left, and reports a whole window", async () => {
    const key = `${rl()}:rl:a:${WINDOW}:x`;
    await seed(key, [9000, 8000, 7000, 6000]);
    expect(await slidingWindow(redis, [key], "m1", [[1, WINDOW, 1]])).toEqual([1, 0, WINDOW]);
    expect(await redis.zcard(key)).toBe(1);
  });

  it.each([0, 1, 2, 4])(
    "writes nothing on a denial, not even the removal of %i entries that left, and finds the wait by rank past them",
    async (left) => {
      const key = `${rl()}:rl:a:${WINDOW}:x`;
      await seed(key, [...Array.from({ length: left }, (_, i) => 9000 - i * 100), 1500, 1000, 500]);
      const before = await redis.zrange(key, 0, "-1", "WITHSCORES");
      await redis.pexpire(key, 50_000);
      // 3 counted + cost 2 > 3: two units must leave, so the wait ends when the second oldest
      // counted entry (1000 ms old) leaves, in ~1000 ms.
      const reply = await slidingWindow(redis, [key], "m1", [[3, WINDOW, 2]]);
      expect(reply.slice(0, 2)).toEqual([0, 0]);
      expect(reply[2]).toBeGreaterThan(300);
      expect(reply[2]).toBeLessThanOrEqual(500);
      expect(reply[3]).toBeGreaterThan(800);
      expect(reply[3]).toBeLessThanOrEqual(1000);
      expect(await redis.zrange(key, 0, "-1", "WITHSCORES")).toEqual(before);
      expect(await redis.pttl(key)).toBeGreaterThan(WINDOW);
    },
  );

  it("does not trim a rule that admits when another rule denies", async () => {
    const loose = `${rl()}:rl:loose:${WINDOW}:x`;
    const tight = `${rl()}:rl:tight:${WINDOW}:x`;
    const stale = await seed(loose, [5000]);
    await seed(tight, [100]);
    const reply = await slidingWindow(redis, [loose, tight], "m1", [
      [10, WINDOW, 1],
      [1, WINDOW, 1],
    ]);
    expect(reply[0]).toBe(0);
    // The loose rule would admit (no wait): its stale entry is not counted...
    expect(reply.slice(1, 4)).toEqual([10, 0, 0]);
    // ...and not removed either, since the request was denied.
    expect(await redis.zrange(loose, 0, "-1")).toEqual(stale);
  });
});

describe("slidingWindow-n.lua and the stored policy", () => {
  it("refuses a caller whose policy version is not the stored one, writing nothing", async () => {
    const key = `${rl()}:rl:a:60000:x`;
    await redis.set(versionKey(), "7");
    expect(await slidingWindow(redis, [key], "m1", [[5, 60_000, 1]], "6")).toEqual([-1, "7"]);
    expect(await redis.exists(key)).toBe(0);
    // The current version is checked and recorded as usual.
    expect(await slidingWindow(redis, [key], "m2", [[5, 60_000, 1]], "7")).toEqual([1, 4, 60_000]);
    // No stored version: a caller with one is stale too (the policy was removed), "" never is.
    await redis.del(versionKey());
    expect(await slidingWindow(redis, [key], "m3", [[5, 60_000, 1]], "7")).toEqual([-1, ""]);
    expect(await slidingWindow(redis, [key], "m4", [[5, 60_000, 1]])).toEqual([1, 3, expect.any(Number)]);
  });

  it("never denies for a shadow rule, and records in it only what it would admit", async () => {
    const shadow = `${rl()}:rl:shadow:60000:x`;
    const enforced = `${rl()}:rl:enforced:60000:x`;
    const rules = [
      [2, 60_000, 1, "s"],
      [100, 60_000, 1, "e"],
    ] as const;
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await slidingWindow(redis, [shadow, enforced], `m${i}`, [[...rules[0]], [...rules[1]]]));
    // All admitted; the shadow rule would deny the third and fourth.
    expect(replies.map((reply) => reply[0])).toEqual([1, 1, 1, 1]);
    expect(replies.map((reply) => admits(reply, 2)[0])).toEqual([true, true, false, false]);
    expect(await redis.zcard(shadow)).toBe(2);
    expect(await redis.zcard(enforced)).toBe(4);
    // Enforced, the same set denies at once.
    expect((await slidingWindow(redis, [shadow, enforced], "m9", [[2, 60_000, 1, "e"], [...rules[1]]]))[0]).toBe(0);
  });

  it("denies everything under a limit of 0 (a deny-list override) and records nothing", async () => {
    const key = `${rl()}:rl:deny:60000:x`;
    expect(await slidingWindow(redis, [key], "m1", [[0, 60_000, 1]])).toEqual([0, 0, 0, 60_000]);
    expect(await redis.exists(key)).toBe(0);
  });
});

describe("slidingWindow-n.lua: the TTL (two windows, set only by an admission that makes the set or removes a \"!\" entry or two or more)", () => {
  const WINDOW = 600;

  /** Redis clock in integer µs. */
  async function nowUs(): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1e6 + Number(micros);
  }

  /** The key's expiry as the script sets it: the first ms after the request at `scoreUs`, plus two windows. */
  const expiryFrom = (scoreUs: number, windowMs: number) => Math.floor(scoreUs / 1000) + 1 + 2 * windowMs;

  /** Members and scores (µs) of a key, oldest first. */
  async function entries(key: string): Promise<{ member: string; us: number }[]> {
    const flat = await redis.zrange(key, 0, "-1", "WITHSCORES");
    return Array.from({ length: flat.length / 2 }, (_, i) => ({ member: flat[2 * i]!, us: Number(flat[2 * i + 1]) }));
  }

  /** Seeds members as the script writes them, each `msAgo` before now; `marked` ones carry "!". */
  async function seed(key: string, msAgo: number[], marked: number[]): Promise<void> {
    const now = await nowUs();
    await redis.zadd(key, ...msAgo.flatMap((ago, i) => [String(now - ago * 1000), `${now - ago * 1000}${marked.includes(i) ? "!" : ":"}seed${i}`]));
  }

  it("gives a new set two windows from the Redis time of the request that made it", async () => {
    const key = `${rl()}:rl:a:${WINDOW}:x`;
    expect(await slidingWindow(redis, [key], "m1", [[5, WINDOW, 1]])).toEqual([1, 4, WINDOW]);
    const [first] = await entries(key);
    expect(first!.member).toBe(`${first!.us}!m1`);
    // More than one window: a 1x TTL would drop entries added later in the first window.
    expect(await redis.pexpiretime(key)).toBe(expiryFrom(first!.us, WINDOW));
  });

  it("leaves the TTL alone on an admission that neither makes the set nor removes an entry", async () => {
    const key = `${rl()}:rl:a:60000:x`;
    await slidingWindow(redis, [key], "m1", [[5, 60_000, 1]]);
    const expiry = await redis.pexpiretime(key);
    for (let i = 2; i <= 4; i++) expect((await slidingWindow(redis, [key], `m${i}`, [[5, 60_000, 1]]))[0]).toBe(1);
    expect(await redis.pexpiretime(key)).toBe(expiry);
    expect((await entries(key)).map((e) => e.member.slice(16))).toEqual(["!m1", ":m2", ":m3", ":m4"]);
  });

  it("sets the TTL again when an admission removes an entry the TTL was set from", async () => {
    const key = `${rl()}:rl:a:${WINDOW}:x`;
    await seed(key, [5000, 100], [0]);
    await redis.pexpire(key, 500_000);
    expect((await slidingWindow(redis, [key], "m1", [[5, WINDOW, 1]]))[0]).toBe(1);
    const stored = await entries(key);
    expect(stored.map((e) => e.member.slice(16))).toEqual([":seed1", "!m1"]);
    expect(await redis.pexpiretime(key)).toBe(expiryFrom(stored[1]!.us, WINDOW));
  });

  it("sets the TTL again when an admission removes two or more entries", async () => {
    const key = `${rl()}:rl:a:${WINDOW}:x`;
    await seed(key, [5000, 4000, 100], [2]);
    await redis.pexpire(key, 500_000);
    expect((await slidingWindow(redis, [key], "m1", [[5, WINDOW, 1]]))[0]).toBe(1);
    const stored = await entries(key);
    expect(stored.map((e) => e.member.slice(16))).toEqual(["!seed2", "!m1"]);
    expect(await redis.pexpiretime(key)).toBe(expiryFrom(stored[1]!.us, WINDOW));
  });

  it("leaves the TTL alone when an admission removes one entry the TTL was not set from", async () => {
    const key = `${rl()}:rl:a:${WINDOW}:x`;
    // The TTL was last set from the 100-ms-old "!" entry, which still counts.
    await seed(key, [5000, 100], [1]);
    await redis.pexpire(key, 500_000);
    const expiry = await redis.pexpiretime(key);
    expect((await slidingWindow(redis, [key], "m1", [[5, WINDOW, 1]]))[0]).toBe(1);
    expect((await entries(key)).map((e) => e.member.slice(16))).toEqual(["!seed1", ":m1"]);
    expect(await redis.pexpiretime(key)).toBe(expiry);
  });

  it("leaves the TTL alone on a denial, and on a shadow rule that would deny", async () => {
    const key = `${rl()}:rl:a:60000:x`;
    const shadow = `${rl()}:rl:s:60000:x`;
    await slidingWindow(redis, [key, shadow], "m1", [[1, 60_000, 1], [1, 60_000, 1, "s"]]);
    await redis.pexpire(key, 500_000);
    await redis.pexpire(shadow, 500_000);
    const [keyExpiry, shadowExpiry] = [await redis.pexpiretime(key), await redis.pexpiretime(shadow)];
    expect((await slidingWindow(redis, [key, shadow], "m2", [[1, 60_000, 1], [1, 60_000, 1, "s"]]))[0]).toBe(0);
    expect((await slidingWindow(redis, [shadow], "m3", [[1, 60_000, 1, "s"]]))[0]).toBe(1);
    expect([await redis.pexpiretime(key), await redis.pexpiretime(shadow)]).toEqual([keyExpiry, shadowExpiry]);
    expect([await redis.zcard(key), await redis.zcard(shadow)]).toEqual([1, 1]);
  });

  it("counts exactly past the point where a one-window TTL from the set's first request would have dropped it", async () => {
    // A at t0 makes the set; B at t0 + window / 2 neither makes nor trims it, so the TTL stays
    // the one A set. C, after t0 + window but before B leaves, must still count B. On a busy
    // machine C can come too late (after B has left too): then the scenario runs again.
    for (let attempt = 1; ; attempt++) {
      const key = `${rl()}:rl:exact${attempt}:${WINDOW}:x`;
      const rules: [number, number, number][] = [[2, WINDOW, 1]];
      expect((await slidingWindow(redis, [key], "a", rules))[0]).toBe(1);
      const a = (await entries(key))[0]!.us;
      await pollUntil(nowUs, (t) => t >= a + (WINDOW / 2) * 1000, 10_000, 5);
      expect((await slidingWindow(redis, [key], "b", rules)).slice(0, 2)).toEqual([1, 0]);
      const b = (await entries(key))[1]!.us;
      // Every entry is covered by the TTL A set: B leaves the window before the key goes.
      expect(b + WINDOW * 1000).toBeLessThan((await redis.pexpiretime(key)) * 1000);
      await pollUntil(nowUs, (t) => t > a + (WINDOW + 20) * 1000, 10_000, 5);
      const reply = await slidingWindow(redis, [key], "c", rules);
      const after = await nowUs();
      if (after >= b + WINDOW * 1000 && attempt < 5) continue;
      expect(after).toBeLessThan(b + WINDOW * 1000);
      // A has left, B still counts: admitted with nothing left (a dropped set would leave 1).
      expect(reply.slice(0, 2)).toEqual([1, 0]);
      expect((await entries(key)).map((e) => e.member.slice(17))).toEqual(["b", "c"]);
      return;
    }
  });
});
