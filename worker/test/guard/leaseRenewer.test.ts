/**
 * The lease renewer's schedule, on fake timers and a stand-in `renew` (the renewals' effect in
 * Redis is tested with a real one in runGuarded.test.ts): when a run is renewed, that a failed
 * renewal is tried again at the next check, and that the one timer stops with the last run.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLeaseRenewer, type RenewedRun } from "../../src/guard/leaseRenewer.js";

const LEASE_MS = 300; // renewed at most 100 ms apart, checked every 50 ms

function runOf(jobId: string, onLeaseLost?: (context: never) => void): RenewedRun {
  return { queue: "email", jobId, owner: `owner-${jobId}`, renewedAt: 0, renewing: false, onLeaseLost, context: { jobId } };
}

describe("lease renewer", () => {
  let start = 0;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    start = Date.now();
  });
  afterEach(() => vi.useRealTimers());

  /** A guard whose renewals answer from `answers` in turn (then true), recording when each was sent. */
  function guardAnswering(answers: Array<boolean | Error | Promise<boolean>> = []) {
    const sent: Array<{ jobId: string; at: number }> = [];
    const renew = (_queue: string, jobId: string) => {
      sent.push({ jobId, at: Date.now() - start });
      const answer = answers.shift() ?? true;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    };
    return { guard: { leaseMs: LEASE_MS, renew }, sent };
  }

  it("renews a run before a third of its lease passes without a renewal, and stops when it ends", async () => {
    const { guard, sent } = guardAnswering();
    const renewer = createLeaseRenewer(guard, () => Date.now());
    const run = runOf("a");
    renewer.start(run);
    await vi.advanceTimersByTimeAsync(320);
    expect(sent.map((s) => s.at)).toEqual([100, 200, 300]);
    renewer.stop(run);
    renewer.stop(run);
    await vi.advanceTimersByTimeAsync(500);
    expect(sent).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("tries a failed renewal again at the next check, not a third of a lease later", async () => {
    const { guard, sent } = guardAnswering([new Error("OOM command not allowed"), new Error("READONLY"), true]);
    const renewer = createLeaseRenewer(guard, () => Date.now());
    renewer.start(runOf("a"));
    await vi.advanceTimersByTimeAsync(260);
    // Failed at 100 and 150; renewed at 200, so the next is due 100 ms after that.
    expect(sent.map((s) => s.at)).toEqual([100, 150, 200]);
    await vi.advanceTimersByTimeAsync(50);
    expect(sent.map((s) => s.at)).toEqual([100, 150, 200, 300]);
  });

  it("sends no second renewal of a run while one is still waiting for Redis, and goes on once it answers", async () => {
    let answer!: (renewed: boolean) => void;
    const { guard, sent } = guardAnswering([new Promise<boolean>((resolve) => (answer = resolve))]);
    const renewer = createLeaseRenewer(guard, () => Date.now());
    renewer.start(runOf("a"));
    await vi.advanceTimersByTimeAsync(260);
    expect(sent.map((s) => s.at)).toEqual([100]);
    answer(true); // renewed as of 100: the next is due by 200, so it goes at the next check
    await vi.advanceTimersByTimeAsync(50);
    expect(sent.map((s) => s.at)).toEqual([100, 300]);
  });

  it("serves runs that start at different times from one timer, each on its own schedule", async () => {
    const { guard, sent } = guardAnswering();
    const renewer = createLeaseRenewer(guard, () => Date.now());
    const a = runOf("a");
    renewer.start(a);
    await vi.advanceTimersByTimeAsync(30);
    const b = runOf("b");
    renewer.start(b);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(230); // to 260
    renewer.stop(a);
    await vi.advanceTimersByTimeAsync(100); // to 360
    renewer.stop(b);
    const at = (jobId: string) => sent.filter((s) => s.jobId === jobId).map((s) => s.at);
    expect(at("a")).toEqual([100, 200]);
    expect(at("b")).toEqual([100, 200, 300]);
    // b started at 30: no gap between its claim and its renewals exceeds a third of the lease.
    const times = [30, ...at("b")];
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(LEASE_MS / 3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reports a lost lease once, with the run's context, and renews that run no more", async () => {
    const { guard, sent } = guardAnswering([false]);
    const lost: unknown[] = [];
    const renewer = createLeaseRenewer(guard, () => Date.now());
    renewer.start(runOf("a", (context) => lost.push(context)));
    await vi.advanceTimersByTimeAsync(500);
    expect(lost).toEqual([{ jobId: "a" }]);
    expect(sent).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
