/**
 * Stand-ins for the worker's execution guard, for `bench/worker.ts` only: they show what the
 * guard costs and why. Never use them to send mail: without the real guard a mail may go twice.
 *
 * - `createNoRedisGuard`: every claim succeeds and every done mark is a no-op, in memory. A worker
 *   with it measures everything Taskgate's email job does except the guard.
 * - `createRoundTripGuard`: no guard logic, but a claim and a done mark each wait for one Redis
 *   round trip, batched per event-loop turn like the real guard's (one PING serves every call of
 *   the turn). A worker with it measures what the two waits cost, whatever the guard does in
 *   Redis.
 */
import type { Cluster, Redis } from "ioredis";
import { CONFIG_DEFAULTS, effectTtlMs } from "@taskgate/shared";
import type { EffectGuard } from "@taskgate/worker";

export function createNoRedisGuard(): EffectGuard {
  return {
    leaseMs: CONFIG_DEFAULTS.workerLockMs,
    ttlMs: effectTtlMs(CONFIG_DEFAULTS),
    claim: () => Promise.resolve({ kind: "claimed" }),
    markDone: () => Promise.resolve(true),
    release: () => Promise.resolve(true),
    renew: () => Promise.resolve(true),
  };
}

export function createRoundTripGuard(connection: Redis | Cluster): EffectGuard {
  let turn: Promise<unknown> | undefined;
  // The first call of a turn schedules the PING at process.nextTick, as the real guard's batcher
  // flushes; later calls of the same turn share it.
  const roundTrip = () =>
    (turn ??= new Promise((resolve, reject) =>
      process.nextTick(() => {
        turn = undefined;
        connection.ping().then(resolve, reject);
      }),
    ));
  return {
    leaseMs: CONFIG_DEFAULTS.workerLockMs,
    ttlMs: effectTtlMs(CONFIG_DEFAULTS),
    claim: async () => {
      await roundTrip();
      return { kind: "claimed" };
    },
    markDone: async () => {
      await roundTrip();
      return true;
    },
    release: () => Promise.resolve(true),
    renew: () => Promise.resolve(true),
  };
}
