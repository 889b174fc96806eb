import { afterAll, describe, expect, it } from "vitest";
import { redisKeys } from "@taskgate/shared";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis, type TestRedis } from "#test-support/redis.js";
import {
  createEffectGuard,
  EffectBusyError,
  isEffectBusyError,
  runGuarded,
  type EffectGuard,
} from "../../src/guard/index.js";
import { sleep } from "#test-support/time.js";
import { countingEffect, GUARD_TIMES, readEffect, waitForLeaseExpiry } from "./helpers.js";

const QUEUE = "email";
const JOB = "job-1";

class SmtpError extends Error {
  constructor(readonly code: string) {
    super(`SMTP failure ${code}`);
  }
}
const refusedBeforeData = (error: unknown) => error instanceof SmtpError && error.code === "ECONNREFUSED";

describe("runGuarded", () => {
  const connections: TestRedis[] = [connectTestRedis(), connectTestRedis(), connectTestRedis()];
  const redis = connections[0]!;
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.quit()));
  });
  const prefix = prefixPerTest(redis);

  function guardWith(options: { leaseMs?: number; connection?: TestRedis } = {}): EffectGuard {
    return createEffectGuard({ redis: options.connection ?? redis, keyPrefix: prefix(), ttlMs: GUARD_TIMES.ttlMs, leaseMs: options.leaseMs ?? GUARD_TIMES.leaseMs });
  }

  it("runs the effect once, marks it done, and a later run returns the stored result without running it", async () => {
    const guard = guardWith();
    const mail = countingEffect({ messageId: "<job-1@taskgate>" });

    const first = await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-1", effect: mail.effect });
    expect(first).toEqual({ result: { messageId: "<job-1@taskgate>" }, deduplicated: false, reclaimed: false });

    const second = await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-2", effect: mail.effect });
    expect(second).toEqual({ result: { messageId: "<job-1@taskgate>" }, deduplicated: true, reclaimed: false });
    expect(mail.runs).toBe(1);
  });

  it("runs the effect exactly once when 20 runs with different owners race on 3 connections", async () => {
    const guards = connections.map((connection) => guardWith({ connection }));
    const mail = countingEffect("sent", 50);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        runGuarded({ guard: guards[index % guards.length]!, queue: QUEUE, jobId: JOB, owner: `run-${index}`, effect: mail.effect }),
      ),
    );

    expect(mail.runs).toBe(1);
    const ran = outcomes.filter((outcome) => outcome.status === "fulfilled" && !outcome.value.deduplicated);
    expect(ran).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === "fulfilled") {
        expect(outcome.value.result).toBe("sent");
      } else {
        expect(outcome.reason).toBeInstanceOf(EffectBusyError);
      }
    }
  });

  it("throws EffectBusyError with a stable code and retryAfterMs while another run holds the lease", async () => {
    const guard = guardWith({ leaseMs: 30_000 });
    await guard.claim(QUEUE, JOB, "run-1");
    const mail = countingEffect("sent");

    const error: unknown = await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-2", effect: mail.effect }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(EffectBusyError);
    expect(isEffectBusyError(error)).toBe(true);
    const busy = error as EffectBusyError;
    expect(busy.name).toBe("EffectBusyError");
    expect(busy.code).toBe("EFFECT_BUSY");
    expect(busy.retryAfterMs).toBeGreaterThan(0);
    expect(busy.retryAfterMs).toBeLessThanOrEqual(30_000);
    expect(mail.runs).toBe(0);
  });

  it("takes over from a dead owner once its lease ran out and runs the effect again", async () => {
    const guard = guardWith({ leaseMs: 200 });
    await guard.claim(QUEUE, JOB, "dead-run"); // claims, then dies without a done mark
    await waitForLeaseExpiry(redis, prefix(), QUEUE, JOB);
    const mail = countingEffect("sent");

    const outcome = await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-2", effect: mail.effect });
    expect(outcome).toEqual({ result: "sent", deduplicated: false, reclaimed: true });
    expect(mail.runs).toBe(1);
    expect(await readEffect(redis, prefix(), QUEUE, JOB)).toMatchObject({ state: "done", owner: "run-2", claims: "2" });
  });

  it("releases the claim after a definitely-not-sent failure, so the next run claims at once", async () => {
    const guard = guardWith({ leaseMs: 30_000 });
    const refused = new SmtpError("ECONNREFUSED");

    await expect(
      runGuarded({
        guard,
        queue: QUEUE,
        jobId: JOB,
        owner: "run-1",
        effect: () => Promise.reject(refused),
        isDefinitelyNotSent: refusedBeforeData,
      }),
    ).rejects.toBe(refused);
    expect(await redis.exists(redisKeys(prefix()).effect(QUEUE, JOB))).toBe(0);

    expect(await guard.claim(QUEUE, JOB, "run-2")).toEqual({ kind: "claimed" });
  });

  it("keeps the lease after an ambiguous failure, so a retry before it runs out is busy", async () => {
    const guard = guardWith({ leaseMs: 30_000 });
    const timeout = new SmtpError("ETIMEDOUT"); // maybe the server accepted the mail

    await expect(
      runGuarded({
        guard,
        queue: QUEUE,
        jobId: JOB,
        owner: "run-1",
        effect: () => Promise.reject(timeout),
        isDefinitelyNotSent: refusedBeforeData,
      }),
    ).rejects.toBe(timeout);

    expect((await guard.claim(QUEUE, JOB, "run-2")).kind).toBe("busy");
  });

  it("treats a failure as ambiguous when isDefinitelyNotSent throws", async () => {
    const guard = guardWith({ leaseMs: 30_000 });
    const failure = new SmtpError("ECONNREFUSED");

    await expect(
      runGuarded({
        guard,
        queue: QUEUE,
        jobId: JOB,
        owner: "run-1",
        effect: () => Promise.reject(failure),
        isDefinitelyNotSent: () => {
          throw new Error("classifier bug");
        },
      }),
    ).rejects.toBe(failure);

    expect((await guard.claim(QUEUE, JOB, "run-2")).kind).toBe("busy");
  });

  it("renews the lease while a long effect runs, so another owner stays busy past the first lease", async () => {
    const guard = guardWith({ leaseMs: 300 });
    const probe = guardWith({ leaseMs: 300, connection: connections[1]! });
    const probes: string[] = [];

    const outcome = await runGuarded({
      guard,
      queue: QUEUE,
      jobId: JOB,
      owner: "slow-run",
      effect: async () => {
        for (let step = 0; step < 4; step += 1) {
          await sleep(250); // 4 × 250 ms: well past the 300 ms lease without renewal
          probes.push((await probe.claim(QUEUE, JOB, "other-run")).kind);
        }
        return "sent";
      },
    });

    expect(probes).toEqual(["busy", "busy", "busy", "busy"]);
    expect(outcome).toEqual({ result: "sent", deduplicated: false, reclaimed: false });
    expect(await probe.claim(QUEUE, JOB, "other-run")).toEqual({ kind: "done", result: "sent" });
  });

  it("renews every run's lease on the guard's one timer, runs starting and ending at different times, and stops renewing a run once it ends", async () => {
    const guard = guardWith({ leaseMs: 300 });
    const probe = guardWith({ leaseMs: 300, connection: connections[1]! });
    const jobs = Array.from({ length: 12 }, (_, i) => `${JOB}-many-${i}`);
    const probes: string[] = [];
    // Staggered: run i starts i × 40 ms in and sends for 700 + i × 40 ms, each well past its lease.
    const runs = jobs.map(async (jobId, i) => {
      await sleep(i * 40);
      return runGuarded({
        guard,
        queue: QUEUE,
        jobId,
        owner: `run-${i}`,
        context: { i },
        effect: async ({ i: index }) => {
          await sleep(600 + index * 40);
          probes.push((await probe.claim(QUEUE, jobId, "other-run")).kind);
          await sleep(100);
          return `sent ${index}`;
        },
      });
    });
    const outcomes = await Promise.all(runs);
    expect(probes).toEqual(jobs.map(() => "busy"));
    expect(outcomes.map((outcome) => outcome.result)).toEqual(jobs.map((_, i) => `sent ${i}`));
    // Ended runs are no longer renewed: a claim whose owner stopped renewing lapses by itself.
    const lapsing = `${JOB}-lapsing`;
    await expect(runGuarded({ guard, queue: QUEUE, jobId: lapsing, owner: "dies", effect: () => Promise.reject(new Error("connection lost mid-send")) })).rejects.toThrow("connection lost");
    expect((await probe.claim(QUEUE, lapsing, "other-run")).kind).toBe("busy");
    await sleep(400);
    expect((await probe.claim(QUEUE, lapsing, "other-run")).kind).toBe("reclaimed");
  });

  it("reports a lost lease once when another owner takes over mid-effect, and still marks the effect done", async () => {
    const guard = guardWith({ leaseMs: 300 });
    const key = redisKeys(prefix()).effect(QUEUE, JOB);
    let lost = 0;
    let resolveLost!: () => void;
    const lostSignal = new Promise<void>((resolve) => {
      resolveLost = resolve;
    });

    const outcome = await runGuarded({
      guard,
      queue: QUEUE,
      jobId: JOB,
      owner: "run-1",
      onLeaseLost: () => {
        lost += 1;
        resolveLost();
      },
      effect: async () => {
        // Simulate a takeover (as if this run had stalled past its lease).
        await redis.hset(key, "owner", "run-2");
        await lostSignal;
        return "sent";
      },
    });

    expect(lost).toBe(1);
    expect(outcome.deduplicated).toBe(false);
    expect(await guard.claim(QUEUE, JOB, "run-3")).toEqual({ kind: "done", result: "sent" });
  });

  it("sends again after a crash between the effect and the done mark: the documented duplicate window", async () => {
    const guard = guardWith({ leaseMs: 200 });
    const mail = countingEffect({ messageId: "<job-1@taskgate>" });
    const crash = new Error("simulated crash after the SMTP server accepted");

    await expect(
      runGuarded({
        guard,
        queue: QUEUE,
        jobId: JOB,
        owner: "run-1",
        effect: mail.effect,
        afterEffect: () => Promise.reject(crash),
      }),
    ).rejects.toBe(crash);
    expect(mail.runs).toBe(1);
    expect(await readEffect(redis, prefix(), QUEUE, JOB)).toMatchObject({ state: "claimed", owner: "run-1" });

    await waitForLeaseExpiry(redis, prefix(), QUEUE, JOB);
    const resent = await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-2", effect: mail.effect });
    expect(resent).toEqual({ result: { messageId: "<job-1@taskgate>" }, deduplicated: false, reclaimed: true });
    expect(mail.runs).toBe(2);

    const later = await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-3", effect: mail.effect });
    expect(later.deduplicated).toBe(true);
    expect(mail.runs).toBe(2);
  });

  describe("with doneMark: ordered", () => {
    // On a single Redis the done mark goes out unawaited, ahead of whatever the caller sends next
    // on the same connection; a Cluster's guard has no markDoneInOrder and awaits it as before.
    const single = !redis.isCluster;

    it("returns with the done mark ahead of the caller's next command on the guard's connection", async () => {
      const guard = guardWith();
      expect(guard.markDoneInOrder === undefined).toBe(!single);
      const mail = countingEffect({ messageId: "<job-1@taskgate>" });

      const outcome = await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-1", effect: mail.effect, doneMark: "ordered" });
      // Sent on the same connection after runGuarded returned, as BullMQ's completion is: Redis
      // runs it after the done mark, whether or not the mark's answer has arrived yet.
      const stateSeenNext = await redis.hget(redisKeys(prefix()).effect(QUEUE, JOB), "state");

      expect(outcome).toEqual({ result: { messageId: "<job-1@taskgate>" }, deduplicated: false, reclaimed: false });
      expect(stateSeenNext).toBe("done");
      expect((await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-2", effect: mail.effect, doneMark: "ordered" })).deduplicated).toBe(true);
      expect(mail.runs).toBe(1);
    });

    // One test for both kinds of Redis (each pass runs the branch of its kind), so neither pass reports a skipped test.
    it("handles a done mark that fails as its kind of Redis says: reported after the run returned, the record left claimed (single); awaited and thrown, as before (Cluster)", async () => {
      if (single) {
        await failingOrderedMarkIsReported();
        return;
      }
      const guard = guardWith();
      const key = redisKeys(prefix()).effect(QUEUE, JOB);
      const failed: unknown = await runGuarded({
        guard,
        queue: QUEUE,
        jobId: JOB,
        owner: "run-1",
        effect: async () => {
          await redis.set(key, "not a hash");
          return "sent";
        },
        doneMark: "ordered",
        onDoneMarkFailed: () => {
          throw new Error("not reached: the awaited mark's failure is thrown, not reported");
        },
      }).catch((error: unknown) => error);
      expect(String(failed)).toMatch(/WRONGTYPE/);
    });

    async function failingOrderedMarkIsReported(): Promise<void> {
      const guard = guardWith();
      const key = redisKeys(prefix()).effect(QUEUE, JOB);
      // A record no script writes (a string): a done mark on it fails with WRONGTYPE. Queued in
      // the same turn as this run's done mark and ahead of it, it makes their shared batch call
      // fail as a whole, so this run's mark fails too and its record is left as it was.
      const poisoned = "poisoned-job";
      await redis.set(redisKeys(prefix()).effect(QUEUE, poisoned), "not a hash");
      let reportFailure!: (error: unknown) => void;
      const reported = new Promise<unknown>((resolve) => (reportFailure = resolve));
      let reports = 0;

      const outcome = await runGuarded({
        guard,
        queue: QUEUE,
        jobId: JOB,
        owner: "run-1",
        effect: async () => {
          guard.markDone(QUEUE, poisoned, "someone-else", "x").catch(() => undefined);
          return "sent";
        },
        doneMark: "ordered",
        onDoneMarkFailed: (error) => {
          reports += 1;
          reportFailure(error);
        },
      });

      expect(outcome).toEqual({ result: "sent", deduplicated: false, reclaimed: false });
      expect(String((await reported) as Error)).toMatch(/WRONGTYPE/);
      expect(reports).toBe(1);
      expect(await readEffect(redis, prefix(), QUEUE, JOB)).toMatchObject({ state: "claimed", owner: "run-1" });
      expect(await redis.exists(key)).toBe(1);
    }
  });
  describe("with a timeout", () => {
    it("rejects at the timeout but holds the lease until the effect settles, then marks it done", async () => {
      const guard = guardWith({ leaseMs: 1000 });
      let finish!: (value: string) => void;
      const effect = () => new Promise<string>((resolve) => (finish = resolve));
      let settled: Promise<void> | undefined;
      const run = runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-1", effect, timeoutMs: 50, timeoutError: () => new Error("too slow"), onLateEffect: (late) => (settled = late) });
      await expect(run).rejects.toThrow("too slow");
      expect(settled).toBeDefined();
      // Past the lease it had at the timeout: renewed, another run still finds it held.
      await sleep(1500);
      await expect(runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-2", effect: async () => "second" })).rejects.toBeInstanceOf(EffectBusyError);
      finish("sent late");
      await settled;
      expect(await readEffect(redis, prefix(), QUEUE, JOB)).toMatchObject({ state: "done", owner: "run-1" });
      const again = await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-3", effect: async () => "third" });
      expect(again).toEqual({ result: "sent late", deduplicated: true, reclaimed: false });
    });

    it("releases the claim when the late effect fails in a way that proves it did not happen", async () => {
      const guard = guardWith();
      let fail!: (error: unknown) => void;
      const effect = () => new Promise<string>((_resolve, reject) => (fail = reject));
      let settled: Promise<void> | undefined;
      await expect(runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-1", effect, timeoutMs: 20, isDefinitelyNotSent: refusedBeforeData, onLateEffect: (late) => (settled = late) })).rejects.toThrow(/longer than 20 ms/);
      fail(new SmtpError("ECONNREFUSED"));
      await settled;
      expect(await readEffect(redis, prefix(), QUEUE, JOB)).toEqual({});
      const mail = countingEffect("sent");
      expect(await runGuarded({ guard, queue: QUEUE, jobId: JOB, owner: "run-2", effect: mail.effect })).toMatchObject({ result: "sent", deduplicated: false });
      expect(mail.runs).toBe(1);
    });
  });
});
