/**
 * The execution guard: makes a job's effect (sending its email) happen effectively once although
 * BullMQ runs a job at least once, with an owned, expiring lease per effect in Redis.
 */
import type { Cluster, Redis } from "ioredis";
import { redisKeys } from "@taskgate/shared";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { createEffectBatcher } from "./effectBatcher.js";
import { effectGuardScripts, type EffectGuardCommands } from "./scripts.js";

/** Options of `createEffectGuard`. */
export interface EffectGuardOptions {
  /** Client the scripts are registered on (a Redis or a Cluster; every key of one call shares a slot). */
  redis: Redis | Cluster;
  /** Key prefix of every key the project writes (`KEY_PREFIX`), e.g. `tg`. */
  keyPrefix: string;
  /** How long a claim excludes other owners unless renewed, in ms; required, the config's `workerLockMs` (default 30 000). */
  leaseMs: number;
  /**
   * How long an effect record is kept, in ms; required, `effectTtlMs(config)` (default 30 days).
   * Must outlive completed and dead jobs (`removeOnComplete`, `removeOnFail`) and every retry,
   * or a late re-run finds no record and sends again.
   */
  ttlMs: number;
  /**
   * Whether claims and done marks issued in one event-loop turn are sent as one `effectBatch`
   * call (see `effectBatcher.ts`). Default: true on a single Redis; always false on a Cluster,
   * where the keys of one call must share a hash slot and effect keys do not.
   */
  batch?: boolean;
}

/** What a claim found. */
export type ClaimResult =
  /** Run the effect: the claim is new, or this owner already held it (re-entrant). */
  | { kind: "claimed" }
  /**
   * Run the effect again, with the same Message-ID: a previous owner's lease ran out before it
   * marked the effect done, so it may have sent. `claims` counts owners so far (>= 2).
   */
  | { kind: "reclaimed"; claims: number }
  /** Do not run: the effect happened; `result` is what its owner stored (JSON round-trip). */
  | { kind: "done"; result: unknown }
  /** Do not run now: another owner holds a live lease that ends in `retryAfterMs` (>= 1). */
  | { kind: "busy"; retryAfterMs: number };

/** The guard of one Redis and key prefix. `owner` is a token unique to one run of a job. */
export interface EffectGuard {
  /** Lease length in ms, as configured. */
  readonly leaseMs: number;
  /** Record lifetime in ms, as configured. */
  readonly ttlMs: number;
  /** Claims the effect of a job for `owner` before running it. */
  claim(queue: string, jobId: string, owner: string): Promise<ClaimResult>;
  /**
   * Marks the effect done with its result (stored as JSON: `undefined` and values JSON cannot
   * encode are stored as `null`, so the done mark itself can never fail on the result).
   * True when the record now holds this owner's done mark; false when another owner had
   * already marked it done. Accepted even when this owner lost its lease (see `effectDone-1.lua`).
   */
  markDone(queue: string, jobId: string, owner: string, result: unknown): Promise<boolean>;
  /**
   * `markDone` without waiting for Redis to answer, for `runGuarded`'s `doneMark: "ordered"`.
   * `written` resolves (never rejects) once the done mark has been handed to this guard's
   * connection: written to its socket, or queued in ioredis' offline queue, which is sent in
   * order before anything queued later. A command issued on the same connection after `written`
   * resolved is therefore applied by Redis after the done mark. `reply` is `markDone`'s answer
   * (its rejection is the caller's to handle). Only on a single Redis: undefined on a Cluster,
   * where the effect key and the keys of the next command may live on different nodes.
   */
  markDoneInOrder?(queue: string, jobId: string, owner: string, result: unknown): { written: Promise<void>; reply: Promise<boolean> };
  /** Deletes `owner`'s claim because the effect definitely did not happen; false if not held. */
  release(queue: string, jobId: string, owner: string): Promise<boolean>;
  /** Extends `owner`'s lease by `leaseMs` from now; false when the lease is lost. */
  renew(queue: string, jobId: string, owner: string): Promise<boolean>;
}

/** Creates the execution guard and registers its scripts on the client (idempotent). */
export function createEffectGuard(options: EffectGuardOptions): EffectGuard {
  const { leaseMs, ttlMs } = options;
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1) {
    throw new RangeError(`leaseMs must be a positive integer, got ${leaseMs}`);
  }
  // A record that could expire under a live lease would let a second owner claim a fresh one.
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= leaseMs) {
    throw new RangeError(`ttlMs must be an integer greater than leaseMs (${leaseMs}), got ${ttlMs}`);
  }

  defineLuaCommands(options.redis, effectGuardScripts);
  const commands = options.redis as unknown as EffectGuardCommands;
  const keys = redisKeys(options.keyPrefix);
  const batcher = options.batch !== false && !options.redis.isCluster ? createEffectBatcher({ commands, leaseMs, ttlMs }) : undefined;

  return {
    leaseMs,
    ttlMs,

    async claim(queue, jobId, owner) {
      const key = keys.effect(queue, jobId);
      const reply = await (batcher ? batcher.claim(key, owner) : commands.effectClaim(key, owner, leaseMs, ttlMs));
      return parseClaimReply(reply);
    },

    async markDone(queue, jobId, owner, result) {
      const key = keys.effect(queue, jobId);
      const resultJson = serializeResult(result);
      const reply = await (batcher ? batcher.done(key, owner, resultJson) : commands.effectDone(key, owner, resultJson, ttlMs));
      return reply === 1;
    },

    ...(options.redis.isCluster
      ? {}
      : {
          markDoneInOrder(queue: string, jobId: string, owner: string, result: unknown) {
            const key = keys.effect(queue, jobId);
            const resultJson = serializeResult(result);
            // Batched, the mark goes out with the turn's flush; `written` waits for that flush,
            // not for Redis. Unbatched, ioredis has taken the command when effectDone returns.
            const sent = batcher ? batcher.doneInOrder(key, owner, resultJson) : { written: Promise.resolve(), reply: commands.effectDone(key, owner, resultJson, ttlMs) };
            return { written: sent.written, reply: sent.reply.then((reply) => reply === 1) };
          },
        }),

    // Release and renew go straight to Redis, unbatched: a run calls them only after its own
    // claim has answered and before its done mark is issued, so none of its batched operations
    // on the same key can still be waiting to be sent.
    async release(queue, jobId, owner) {
      return (await commands.effectRelease(keys.effect(queue, jobId), owner)) === 1;
    },

    async renew(queue, jobId, owner) {
      return (await commands.effectRenew(keys.effect(queue, jobId), owner, leaseMs)) === 1;
    },
  };
}

function parseClaimReply(reply: unknown): ClaimResult {
  if (Array.isArray(reply)) {
    const [kind, value] = reply as [unknown, unknown];
    switch (kind) {
      case "claimed":
        return { kind: "claimed" };
      case "reclaimed":
        return { kind: "reclaimed", claims: Number(value) };
      case "done":
        return { kind: "done", result: parseResult(value) };
      case "busy":
        return { kind: "busy", retryAfterMs: Math.max(1, Number(value)) };
    }
  }
  throw new Error(`Unexpected effectClaim reply: ${JSON.stringify(reply)}`);
}

/** Never throws: the done mark matters more than the exact result. */
function serializeResult(result: unknown): string {
  try {
    return JSON.stringify(result) ?? "null";
  } catch {
    return "null";
  }
}

function parseResult(value: unknown): unknown {
  if (typeof value !== "string") return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}
