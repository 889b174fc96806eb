import { afterAll, describe, expect, it } from "vitest";
import { redisKeys } from "@taskgate/shared";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis } from "#test-support/redis.js";
import { createEffectGuard, type EffectGuard } from "../../src/guard/index.js";
import { GUARD_TIMES, readEffect, waitForLeaseExpiry } from "./helpers.js";

const QUEUE = "email";
const JOB = "job-1";

describe("effect guard", () => {
  const redis = connectTestRedis();
  afterAll(() => redis.quit());
  const prefix = prefixPerTest(redis);

  function guardWith(options: { leaseMs?: number; ttlMs?: number } = {}): EffectGuard {
    return createEffectGuard({ redis, keyPrefix: prefix(), ...GUARD_TIMES, ...options });
  }

  it("claims a fresh effect, and a claim after the done mark finds it done with the stored result", async () => {
    const guard = guardWith();
    expect(await guard.claim(QUEUE, JOB, "owner-a")).toEqual({ kind: "claimed" });
    expect(await guard.markDone(QUEUE, JOB, "owner-a", { messageId: "<m1@taskgate>", accepted: ["a@x.test"] })).toBe(true);

    expect(await guard.claim(QUEUE, JOB, "owner-b")).toEqual({
      kind: "done",
      result: { messageId: "<m1@taskgate>", accepted: ["a@x.test"] },
    });
    // The done record carries no lease and keeps the claim count.
    const record = await readEffect(redis, prefix(), QUEUE, JOB);
    expect(record).toMatchObject({ state: "done", owner: "owner-a", claims: "1" });
    expect(record.leaseUntil).toBeUndefined();
  });

  it("keeps the record for ttlMs, set on claim and again on the done mark", async () => {
    const guard = guardWith({ leaseMs: 1_000, ttlMs: 60_000 });
    const key = redisKeys(prefix()).effect(QUEUE, JOB);
    await guard.claim(QUEUE, JOB, "owner-a");
    const afterClaim = await redis.pttl(key);
    expect(afterClaim).toBeGreaterThan(0);
    expect(afterClaim).toBeLessThanOrEqual(60_000);
    await guard.markDone(QUEUE, JOB, "owner-a", "ok");
    const afterDone = await redis.pttl(key);
    expect(afterDone).toBeGreaterThan(0);
    expect(afterDone).toBeLessThanOrEqual(60_000);
  });

  it("stores undefined and values JSON cannot encode as null instead of failing the done mark", async () => {
    const guard = guardWith();
    await guard.claim(QUEUE, JOB, "owner-a");
    expect(await guard.markDone(QUEUE, JOB, "owner-a", { big: 1n })).toBe(true);
    expect(await guard.claim(QUEUE, JOB, "owner-b")).toEqual({ kind: "done", result: null });

    await guard.claim(QUEUE, "job-2", "owner-a");
    expect(await guard.markDone(QUEUE, "job-2", "owner-a", undefined)).toBe(true);
    expect(await guard.claim(QUEUE, "job-2", "owner-b")).toEqual({ kind: "done", result: null });
  });

  it("answers busy with the remaining lease when another owner holds a live lease", async () => {
    const guard = guardWith({ leaseMs: 30_000 });
    await guard.claim(QUEUE, JOB, "owner-a");
    const busy = await guard.claim(QUEUE, JOB, "owner-b");
    expect(busy.kind).toBe("busy");
    if (busy.kind !== "busy") return;
    expect(busy.retryAfterMs).toBeGreaterThan(0);
    expect(busy.retryAfterMs).toBeLessThanOrEqual(30_000);
    // A busy claim changes nothing.
    expect(await readEffect(redis, prefix(), QUEUE, JOB)).toMatchObject({ owner: "owner-a", claims: "1" });
  });

  it("lets the same owner claim again (re-entrant) without counting a new claim", async () => {
    const guard = guardWith();
    await guard.claim(QUEUE, JOB, "owner-a");
    expect(await guard.claim(QUEUE, JOB, "owner-a")).toEqual({ kind: "claimed" });
    expect(await readEffect(redis, prefix(), QUEUE, JOB)).toMatchObject({ owner: "owner-a", claims: "1" });
  });

  it("reclaims for a new owner once a dead owner's lease ran out, counting the second claim", async () => {
    const guard = guardWith({ leaseMs: 200 });
    expect(await guard.claim(QUEUE, JOB, "owner-a")).toEqual({ kind: "claimed" });
    // owner-a dies mid-send: no done mark, no release.
    expect((await guard.claim(QUEUE, JOB, "owner-b")).kind).toBe("busy");
    await waitForLeaseExpiry(redis, prefix(), QUEUE, JOB);

    expect(await guard.claim(QUEUE, JOB, "owner-b")).toEqual({ kind: "reclaimed", claims: 2 });
    expect(await readEffect(redis, prefix(), QUEUE, JOB)).toMatchObject({ state: "claimed", owner: "owner-b", claims: "2" });
    // The new holder's lease is live: a third owner is kept out.
    expect((await guard.claim(QUEUE, JOB, "owner-c")).kind).toBe("busy");
  });

  it("accepts the done mark of an owner whose lease ran out when nobody took over", async () => {
    const guard = guardWith({ leaseMs: 200 });
    await guard.claim(QUEUE, JOB, "owner-a");
    await waitForLeaseExpiry(redis, prefix(), QUEUE, JOB);
    expect(await guard.markDone(QUEUE, JOB, "owner-a", "sent")).toBe(true);
    expect(await guard.claim(QUEUE, JOB, "owner-b")).toEqual({ kind: "done", result: "sent" });
  });

  it("accepts a stale owner's done mark after another owner reclaimed, and refuses the new holder's later mark and release", async () => {
    // Chosen behaviour: the done mark records a fact (the mail was accepted), so it wins over
    // lease bookkeeping. The new holder is mid-send and can't be stopped, but no third run sends,
    // and its release can't delete the record and let one.
    const guard = guardWith({ leaseMs: 200 });
    await guard.claim(QUEUE, JOB, "owner-a");
    await waitForLeaseExpiry(redis, prefix(), QUEUE, JOB);
    expect(await guard.claim(QUEUE, JOB, "owner-b")).toEqual({ kind: "reclaimed", claims: 2 });

    expect(await guard.markDone(QUEUE, JOB, "owner-a", { by: "a" })).toBe(true);
    expect(await guard.claim(QUEUE, JOB, "owner-c")).toEqual({ kind: "done", result: { by: "a" } });

    expect(await guard.markDone(QUEUE, JOB, "owner-b", { by: "b" })).toBe(false);
    expect(await guard.release(QUEUE, JOB, "owner-b")).toBe(false);
    expect(await guard.renew(QUEUE, JOB, "owner-b")).toBe(false);
    expect(await guard.claim(QUEUE, JOB, "owner-c")).toEqual({ kind: "done", result: { by: "a" } });
  });

  it("treats a repeated done mark by the same owner as success and keeps the first result", async () => {
    const guard = guardWith();
    await guard.claim(QUEUE, JOB, "owner-a");
    expect(await guard.markDone(QUEUE, JOB, "owner-a", 1)).toBe(true);
    expect(await guard.markDone(QUEUE, JOB, "owner-a", 2)).toBe(true);
    expect(await guard.claim(QUEUE, JOB, "owner-b")).toEqual({ kind: "done", result: 1 });
  });

  it("records a done mark when the record is gone, since the effect did happen", async () => {
    const guard = guardWith();
    expect(await guard.markDone(QUEUE, JOB, "owner-a", "sent")).toBe(true);
    expect(await guard.claim(QUEUE, JOB, "owner-b")).toEqual({ kind: "done", result: "sent" });
    expect(await redis.pttl(redisKeys(prefix()).effect(QUEUE, JOB))).toBeGreaterThan(0);
  });

  it("releases only the holder's claim, after which the next claim succeeds at once", async () => {
    const guard = guardWith({ leaseMs: 30_000 });
    await guard.claim(QUEUE, JOB, "owner-a");
    expect(await guard.release(QUEUE, JOB, "owner-b")).toBe(false);
    expect(await guard.release(QUEUE, JOB, "owner-a")).toBe(true);
    expect(await redis.exists(redisKeys(prefix()).effect(QUEUE, JOB))).toBe(0);
    expect(await guard.claim(QUEUE, JOB, "owner-b")).toEqual({ kind: "claimed" });
  });

  it("never releases a done effect", async () => {
    const guard = guardWith();
    await guard.claim(QUEUE, JOB, "owner-a");
    await guard.markDone(QUEUE, JOB, "owner-a", "sent");
    expect(await guard.release(QUEUE, JOB, "owner-a")).toBe(false);
    expect(await guard.claim(QUEUE, JOB, "owner-b")).toEqual({ kind: "done", result: "sent" });
  });

  it("renews only the holder's lease, and not once the effect is done", async () => {
    const guard = guardWith({ leaseMs: 200 });
    expect(await guard.renew(QUEUE, JOB, "owner-a")).toBe(false);
    await guard.claim(QUEUE, JOB, "owner-a");
    const before = Number((await readEffect(redis, prefix(), QUEUE, JOB)).leaseUntil);
    expect(await guard.renew(QUEUE, JOB, "owner-b")).toBe(false);
    expect(await guard.renew(QUEUE, JOB, "owner-a")).toBe(true);
    expect(Number((await readEffect(redis, prefix(), QUEUE, JOB)).leaseUntil)).toBeGreaterThanOrEqual(before);
    await guard.markDone(QUEUE, JOB, "owner-a", "sent");
    expect(await guard.renew(QUEUE, JOB, "owner-a")).toBe(false);
  });

  it("reports a lost lease to the old holder's renew once another owner reclaimed", async () => {
    const guard = guardWith({ leaseMs: 200 });
    await guard.claim(QUEUE, JOB, "owner-a");
    await waitForLeaseExpiry(redis, prefix(), QUEUE, JOB);
    await guard.claim(QUEUE, JOB, "owner-b");
    expect(await guard.renew(QUEUE, JOB, "owner-a")).toBe(false);
  });

  it("rejects a lease that is not a positive integer and a ttl not longer than the lease", () => {
    expect(() => guardWith({ leaseMs: 0 })).toThrow(RangeError);
    expect(() => guardWith({ leaseMs: 1.5 })).toThrow(RangeError);
    expect(() => guardWith({ leaseMs: 1_000, ttlMs: 1_000 })).toThrow(RangeError);
  });
});
