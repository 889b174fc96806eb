import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { createDeadlines } from "../../src/rateLimit/deadlines.js";
import { sleep } from "#test-support/time.js";

class Late extends Error {}

/** A promise settled from outside. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("shared deadlines", () => {
  it("passes through what the call answers in time, and leaves no timer behind", async () => {
    const deadlines = createDeadlines(1000, () => new Late());
    const ok = deferred<number>();
    const bad = deferred<number>();
    const answered = deadlines.race(ok.promise);
    const failed = deadlines.race(bad.promise);
    expect(deadlines.pending).toBe(2);
    expect(deadlines.armed).toBe(true);
    ok.resolve(7);
    bad.reject(new Error("boom"));
    await expect(answered).resolves.toBe(7);
    await expect(failed).rejects.toThrow("boom");
    expect(deadlines.pending).toBe(0);
    expect(deadlines.armed).toBe(false);
  });

  it("rejects a call that does not answer in time, then ignores its late answer or error", async () => {
    const deadlines = createDeadlines(50, () => new Late());
    const silent = deferred<number>();
    const failing = deferred<number>();
    const started = performance.now();
    const first = deadlines.race(silent.promise);
    const second = deadlines.race(failing.promise);
    await expect(first).rejects.toBeInstanceOf(Late);
    await expect(second).rejects.toBeInstanceOf(Late);
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
    expect(deadlines.pending).toBe(0);
    // Neither a late value nor a late rejection surfaces (an unhandled rejection would fail the run).
    silent.resolve(1);
    failing.reject(new Error("late"));
    await sleep(10);
  });

  it("gives a call started while others wait its own full duration", async () => {
    const deadlines = createDeadlines(300, () => new Late());
    const settled: string[] = [];
    const track = (name: string, promise: Promise<unknown>) => promise.catch(() => settled.push(name));
    const early = track("early", deadlines.race(new Promise(() => {})));
    await sleep(150);
    const late = track("late", deadlines.race(new Promise(() => {})));
    await early;
    // The shared timer fired for "early" only: "late" is due at least 150 ms later.
    expect(settled).toEqual(["early"]);
    expect(deadlines.pending).toBe(1);
    await late;
    expect(settled).toEqual(["early", "late"]);
    expect(deadlines.pending).toBe(0);
    expect(deadlines.armed).toBe(false);
  });

  it("times out only the calls still waiting when answers come back out of order", async () => {
    const deadlines = createDeadlines(80, () => new Late());
    const calls = Array.from({ length: 200 }, () => deferred<number>());
    const raced = calls.map((call) => deadlines.race(call.promise).then((value) => value, (error: unknown) => error));
    // Answer every call but each tenth one, newest first.
    for (let i = calls.length - 1; i >= 0; i--) if (i % 10 !== 0) calls[i]!.resolve(i);
    const results = await Promise.all(raced);
    for (const [i, result] of results.entries()) {
      if (i % 10 === 0) expect(result).toBeInstanceOf(Late);
      else expect(result).toBe(i);
    }
    expect(deadlines.pending).toBe(0);
    expect(deadlines.armed).toBe(false);
  });
});
