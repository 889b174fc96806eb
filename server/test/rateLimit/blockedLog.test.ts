import { afterAll, describe, expect, it } from "vitest";
import { redisKeys } from "@taskgate/shared";
import { readBlocked, recordBlocked, scanBlocked, type BlockedEntry } from "../../src/rateLimit/index.js";
import { connectTestRedis } from "#test-support/redis.js";
import { sleep } from "#test-support/time.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { BLOCKED_LOG_DEFAULTS } from "./configDefaults.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());

const prefix = prefixPerTest(redis);

// From the clock, not a fixed instant, so the suite passes on any date.
const AT = Date.now();

function entry(overrides: Partial<BlockedEntry>): BlockedEntry {
  return {
    at: AT,
    requestId: "req-1",
    ip: "10.0.0.1",
    userId: "u1",
    route: "POST /jobs/email",
    rule: "email-per-user",
    limit: 60,
    windowMs: 60_000,
    retryAfterMs: 1234,
    ...overrides,
  };
}

describe("blocked log", () => {
  it("reads entries back newest first, with every field", async () => {
    await recordBlocked(redis, prefix(), entry({ requestId: "a" }), BLOCKED_LOG_DEFAULTS);
    await recordBlocked(redis, prefix(), entry({ requestId: "b", userId: undefined, ip: "::1" }), BLOCKED_LOG_DEFAULTS);
    await recordBlocked(redis, prefix(), entry({ requestId: "c" }), BLOCKED_LOG_DEFAULTS);
    const entries = await readBlocked(redis, prefix());
    expect(entries.map((e) => e.requestId)).toEqual(["c", "b", "a"]);
    const { id, at, ...fields } = entries[2]!;
    expect(id).toMatch(/^\d+-\d+$/);
    const { at: _deniedAt, ...written } = entry({ requestId: "a" });
    expect(fields).toEqual(written);
    // `at` is when Redis logged it: the ms of the stream id, which orders the log.
    expect(at).toBe(Number(id.split("-")[0]));
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort((x, y) => y - x));
    expect(entries[1]).not.toHaveProperty("userId");
    expect(entries[1]?.ip).toBe("::1");
  });

  it("filters by ip, user, rule and route, and stops at the limit", async () => {
    await recordBlocked(redis, prefix(), entry({ requestId: "1", ip: "1.1.1.1", rule: "ip-default", route: "GET /jobs/x" }), BLOCKED_LOG_DEFAULTS);
    await recordBlocked(redis, prefix(), entry({ requestId: "2", userId: "u2" }), BLOCKED_LOG_DEFAULTS);
    await recordBlocked(redis, prefix(), entry({ requestId: "3" }), BLOCKED_LOG_DEFAULTS);
    await recordBlocked(redis, prefix(), entry({ requestId: "4" }), BLOCKED_LOG_DEFAULTS);
    const ids = async (filters: Parameters<typeof readBlocked>[2]) => (await readBlocked(redis, prefix(), filters)).map((e) => e.requestId);
    expect(await ids({ ip: "1.1.1.1" })).toEqual(["1"]);
    expect(await ids({ userId: "u2" })).toEqual(["2"]);
    expect(await ids({ rule: "email-per-user" })).toEqual(["4", "3", "2"]);
    expect(await ids({ route: "GET /jobs/x" })).toEqual(["1"]);
    expect(await ids({ userId: "u1", limit: 1 })).toEqual(["4"]);
    expect(await ids({ limit: 2 })).toEqual(["4", "3"]);
    expect(await ids({ userId: "nobody" })).toEqual([]);
  });

  it("bounds a read by since/until (stream ids, inclusive)", async () => {
    await recordBlocked(redis, prefix(), entry({ requestId: "old" }), BLOCKED_LOG_DEFAULTS);
    await sleep(5);
    await recordBlocked(redis, prefix(), entry({ requestId: "mid" }), BLOCKED_LOG_DEFAULTS);
    await sleep(5);
    await recordBlocked(redis, prefix(), entry({ requestId: "new" }), BLOCKED_LOG_DEFAULTS);
    const all = await readBlocked(redis, prefix());
    const ms = (requestId: string) => Number(all.find((e) => e.requestId === requestId)!.id.split("-")[0]);
    const ids = async (filters: Parameters<typeof readBlocked>[2]) => (await readBlocked(redis, prefix(), filters)).map((e) => e.requestId);
    expect(await ids({ since: ms("mid") })).toEqual(["new", "mid"]);
    expect(await ids({ until: ms("mid") })).toEqual(["mid", "old"]);
    expect(await ids({ since: ms("mid"), until: ms("mid") })).toEqual(["mid"]);
    expect(await ids({ since: ms("new") + 1 })).toEqual([]);
  });

  it("pages through the stream to fill a filtered read, up to maxScan entries", async () => {
    await recordBlocked(redis, prefix(), entry({ requestId: "rare", ip: "9.9.9.9" }), BLOCKED_LOG_DEFAULTS);
    await Promise.all(Array.from({ length: 450 }, (_, i) => recordBlocked(redis, prefix(), entry({ requestId: `n${i}` }), BLOCKED_LOG_DEFAULTS)));
    expect((await readBlocked(redis, prefix(), { ip: "9.9.9.9" })).map((e) => e.requestId)).toEqual(["rare"]);
    expect(await readBlocked(redis, prefix(), { ip: "9.9.9.9", maxScan: 100 })).toEqual([]);
    expect(await readBlocked(redis, prefix(), { limit: 1000 })).toHaveLength(451);
  });

  it("pages with a cursor: every entry once, in order, unshifted by entries appended meanwhile", async () => {
    for (let i = 0; i < 25; i++) await recordBlocked(redis, prefix(), entry({ requestId: `r${i}`, userId: i % 2 === 0 ? "even" : "odd" }), BLOCKED_LOG_DEFAULTS);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await scanBlocked(redis, prefix(), { limit: 10, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.entries.map((e) => e.requestId));
      // A newer entry arriving between pages must not reappear in, or shift, the older pages.
      if (pages === 0) await recordBlocked(redis, prefix(), entry({ requestId: "late" }), BLOCKED_LOG_DEFAULTS);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `r${24 - i}`));

    const evens = await scanBlocked(redis, prefix(), { userId: "even", limit: 5 });
    expect(evens.entries.map((e) => e.requestId)).toEqual(["r24", "r22", "r20", "r18", "r16"]);
    const rest = await scanBlocked(redis, prefix(), { userId: "even", limit: 100, cursor: evens.nextCursor! });
    expect(rest.entries.map((e) => e.requestId)).toEqual(["r14", "r12", "r10", "r8", "r6", "r4", "r2", "r0"]);
    expect(rest.nextCursor).toBeNull();

    // The extremes the input schema lets through are ids Redis accepts.
    expect((await scanBlocked(redis, prefix(), { cursor: "9999999999999999999-9999999999999999999", limit: 1000 })).entries).toHaveLength(26);
    expect(await scanBlocked(redis, prefix(), { cursor: "0-1" })).toEqual({ entries: [], nextCursor: null });
  });

  it("hands back a cursor when maxScan stops a filtered read early, so the caller can go on", async () => {
    await recordBlocked(redis, prefix(), entry({ requestId: "rare", ip: "9.9.9.9" }), BLOCKED_LOG_DEFAULTS);
    for (let i = 0; i < 30; i++) await recordBlocked(redis, prefix(), entry({ requestId: `n${i}` }), BLOCKED_LOG_DEFAULTS);
    const first = await scanBlocked(redis, prefix(), { ip: "9.9.9.9", maxScan: 20 });
    expect(first.entries).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    const second = await scanBlocked(redis, prefix(), { ip: "9.9.9.9", maxScan: 20, cursor: first.nextCursor! });
    expect(second.entries.map((e) => e.requestId)).toEqual(["rare"]);
    expect(second.nextCursor).toBeNull();
  });

  it("caps the stream approximately at maxEntries", async () => {
    for (let i = 0; i < 300; i++) await recordBlocked(redis, prefix(), entry({ requestId: `n${i}` }), { ...BLOCKED_LOG_DEFAULTS, maxEntries: 10 });
    const length = await redis.xlen(redisKeys(prefix()).blockedLog());
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(300);
  });

  it("counts blocked requests per minute and per hour, in total, by rule and by route, with expiry", async () => {
    // Recent times: a bucket whose deadline has passed would be deleted at once.
    const minuteStart = Math.floor(Date.now() / 60_000) * 60_000;
    const hourOf = (ms: number) => Math.floor(ms / 3_600_000) * 3_600_000;
    const times = [minuteStart + 1000, minuteStart + 20_000, minuteStart + 61_000];
    await recordBlocked(redis, prefix(), entry({ at: times[0]! }), BLOCKED_LOG_DEFAULTS);
    await recordBlocked(redis, prefix(), entry({ at: times[1]!, rule: "ip-default", route: "GET /jobs/x" }), BLOCKED_LOG_DEFAULTS);
    await recordBlocked(redis, prefix(), entry({ at: times[2]! }), BLOCKED_LOG_DEFAULTS); // the next minute
    const keys = redisKeys(prefix());
    const minute = keys.counterBucket("blocked", "minute", minuteStart);
    const nextMinute = keys.counterBucket("blocked", "minute", minuteStart + 60_000);
    const hour = keys.counterBucket("blocked", "hour", hourOf(minuteStart));
    expect(await redis.hgetall(minute)).toEqual({
      total: "2",
      "rule:email-per-user": "1",
      "rule:ip-default": "1",
      "route:POST /jobs/email": "1",
      "route:GET /jobs/x": "1",
    });
    expect(await redis.hgetall(nextMinute)).toEqual({ total: "1", "rule:email-per-user": "1", "route:POST /jobs/email": "1" });
    const inHour = times.filter((t) => hourOf(t) === hourOf(minuteStart)).length;
    expect(await redis.hget(hour, "total")).toBe(String(inHour));
    // Deadlines are absolute, from each bucket's end: 48 h for minutes, 30 days for hours.
    expect(await redis.pexpiretime(minute)).toBe(minuteStart + 60_000 + 48 * 3_600_000);
    expect(await redis.pexpiretime(hour)).toBe(hourOf(minuteStart) + 3_600_000 + 30 * 86_400_000);
  });

  it("rejects (never throws synchronously) when Redis fails, so the caller can .catch it", async () => {
    const broken = connectTestRedis();
    // Connected first: a Cluster client quit while still connecting never reaches "end".
    await broken.ping();
    await broken.quit();
    let promise: Promise<void> | undefined;
    expect(() => {
      promise = recordBlocked(broken, prefix(), entry({}), BLOCKED_LOG_DEFAULTS);
    }).not.toThrow();
    await expect(promise).rejects.toThrow();
  });
});
