/**
 * Stand-ins for the worker's execution guard, for `bench/worker.ts` only: they show what the
 * guard costs and why. Never use them to send mail: without the real guard a mail may go twice.
 *
 * - `createNoRedisGuard`: every claim succeeds and every done mark is a no-op, in memory. A worker
 *   with it measures everything Taskgate's email job does except the guard.
 * - `createRoundTripGuard`: no guard logic, but shaped like the real guard on a single Redis: a
 *   claim waits for one Redis round trip, batched per event-loop turn like the real guard's (one
 *   PING serves every call of the turn), and a done mark sends a PING in the same turn's flush
 *   without waiting for its answer (`markDoneInOrder`). A worker with it measures what that
 *   shape costs, whatever the guard does in Redis.
 * - `createAwaitedDoneGuard`: the real guard without `markDoneInOrder`, so the worker waits for
 *   every done mark's answer before completing the job: the guard as it was before done marks
 *   went out unawaited, and as it still is on a Redis Cluster.
 */
import type { Cluster, Redis } from "ioredis";
import { CONFIG_DEFAULTS, effectTtlMs, type Config } from "@taskgate/shared";
import { createEffectGuard, type EffectGuard } from "@taskgate/worker";

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
  let turn: { sent: Promise<void>; answered: Promise<unknown> } | undefined;
  // The first call of a turn schedules the PING at process.nextTick, as the real guard's batcher
  // flushes; later calls of the same turn share it. `sent` resolves once the PING is handed to
  // the connection, `answered` when Redis has answered it.
  const nextFlush = () => {
    if (turn) return turn;
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    const answered = new Promise((resolve, reject) =>
      process.nextTick(() => {
        turn = undefined;
        connection.ping().then(resolve, reject);
        markSent();
      }),
    );
    return (turn = { sent, answered });
  };
  const roundTrip = () => nextFlush().answered;
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
    markDoneInOrder: () => {
      const flush = nextFlush();
      return { written: flush.sent, reply: flush.answered.then(() => true) };
    },
    release: () => Promise.resolve(true),
    renew: () => Promise.resolve(true),
  };
}

export function createAwaitedDoneGuard(connection: Redis | Cluster, config: Config): EffectGuard {
  const guard = createEffectGuard({ redis: connection, keyPrefix: config.keyPrefix, leaseMs: config.workerLockMs, ttlMs: effectTtlMs(config) });
  const { markDoneInOrder: _unused, ...awaited } = guard;
  return awaited;
}
