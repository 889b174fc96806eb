/** Shared helpers of the execution guard tests: waiting on the Redis clock, counting effects. */
import type { TestRedis } from "#test-support/redis.js";
import { sleep } from "#test-support/time.js";
import { CONFIG_DEFAULTS, effectTtlMs, redisKeys } from "@taskgate/shared";

/** The lease and record lifetime the worker gives the guard under the default config, in ms. */
export const GUARD_TIMES = { leaseMs: CONFIG_DEFAULTS.workerLockMs, ttlMs: effectTtlMs(CONFIG_DEFAULTS) } as const;

/** The effect record of a job, as stored. */
export async function readEffect(redis: TestRedis, prefix: string, queue: string, jobId: string): Promise<Record<string, string>> {
  return redis.hgetall(redisKeys(prefix).effect(queue, jobId));
}

/**
 * Waits until the stored lease has run out by the Redis clock (the clock the scripts use), so
 * tests about expired leases never depend on guessed sleeps.
 */
export async function waitForLeaseExpiry(redis: TestRedis, prefix: string, queue: string, jobId: string): Promise<void> {
  const key = redisKeys(prefix).effect(queue, jobId);
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const leaseUntil = Number(await redis.hget(key, "leaseUntil"));
    const [seconds, micros] = await redis.time();
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    if (!(leaseUntil > nowMs)) return;
    await sleep(Math.min(leaseUntil - nowMs + 1, 50));
  }
  throw new Error(`lease of ${key} never ran out`);
}

/** An effect that counts its runs and takes `durationMs`. */
export function countingEffect<R>(result: R, durationMs = 0): { effect: () => Promise<R>; readonly runs: number } {
  let runs = 0;
  return {
    effect: async () => {
      runs += 1;
      if (durationMs > 0) await sleep(durationMs);
      return result;
    },
    get runs() {
      return runs;
    },
  };
}
