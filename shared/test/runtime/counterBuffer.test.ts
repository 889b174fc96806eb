import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCounterBuffer } from "../../src/runtime/index.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { commandsSent, connectTestRedis } from "#test-support/redis.js";

const redis = connectTestRedis();
const prefix = prefixPerTest(redis);
// Connected before anything is counted, so the handshake's own commands are not.
beforeAll(() => redis.ping());
afterAll(() => redis.quit());

const retention = { minute: 48 * 3_600_000, hour: 30 * 86_400_000 };
const MINUTE = 60_000;
const HOUR = 3_600_000;
/** The start of the current minute, from the clock: fixed instants would expire with the calendar. */
const thisMinute = () => Math.floor(Date.now() / MINUTE) * MINUTE;

describe("request counter buffer", () => {
  it("sums 1000 requests in memory and writes them in one round trip, with every bucket expiring", async () => {
    const buffer = createCounterBuffer({ redis, keyPrefix: prefix(), retention, flushMs: 60_000, logger: pino({ level: "silent" }) });
    const minute = thisMinute();
    const hour = Math.floor(minute / HOUR) * HOUR;
    const at = minute + 15_000;
    const adds = await commandsSent(redis, async () => {
      for (let i = 0; i < 1000; i += 1) buffer.add("requests", at, ["total", `route:${i % 2 ? "A" : "B"}`, "status:202"]);
    });
    expect(adds.roundTrips).toBe(0);
    const flushed = await commandsSent(redis, () => buffer.close());
    expect(flushed.roundTrips).toBe(1);
    const minuteKey = `${prefix()}:metrics:requests:minute:${minute}`;
    const hourKey = `${prefix()}:metrics:requests:hour:${hour}`;
    for (const key of [minuteKey, hourKey]) {
      expect(await redis.hgetall(key)).toEqual({ total: "1000", "route:A": "500", "route:B": "500", "status:202": "1000" });
    }
    expect(await redis.pexpiretime(minuteKey)).toBe(minute + MINUTE + retention.minute);
    expect(await redis.pexpiretime(hourKey)).toBe(hour + HOUR + retention.hour);
    // Nothing pending: a second flush sends nothing.
    expect((await commandsSent(redis, () => buffer.flush())).roundTrips).toBe(0);
  });

  it("adds to what other processes wrote instead of overwriting it", async () => {
    const at = thisMinute();
    const one = createCounterBuffer({ redis, keyPrefix: prefix(), retention, flushMs: 60_000, logger: pino({ level: "silent" }) });
    const two = createCounterBuffer({ redis, keyPrefix: prefix(), retention, flushMs: 60_000, logger: pino({ level: "silent" }) });
    one.add("requests", at, ["total"]);
    two.add("requests", at, ["total"]);
    two.add("requests", at, ["total"]);
    await Promise.all([one.close(), two.close()]);
    expect(await redis.hget(`${prefix()}:metrics:requests:minute:${at}`, "total")).toBe("3");
  });
});
