/**
 * The Redis half of `/health`: can this process use Redis right now — does it answer, and does
 * it accept writes? One cheap probe answers both, and its result is shared for a second, so a
 * load balancer (or a client batching health calls) cannot turn health checks into Redis load.
 */
import type { Logger } from "pino";
import { allReady, type RedisClient } from "./connect.js";
import { redisFailureOf } from "./failures.js";

/** What `/health` reports about Redis. */
export type RedisHealth = "up" | "down" | "refusing-writes";

/** Options of `createRedisHealthCheck`. */
export interface RedisHealthCheckOptions {
  redis: RedisClient;
  /**
   * Other connections of the process that must be ready too (the API's queue connection); not
   * probed, since the one probe already asks Redis. Default none.
   */
  alsoReady?: readonly RedisClient[] | undefined;
  /** Key the probe names (`<KEY_PREFIX>:health:probe`); the probe never creates it. */
  probeKey: string;
  /** How long one result is reused, in ms; default 1000. */
  maxAgeMs?: number | undefined;
  /** Where changes of the state are logged, with the driver's error (never shown to callers). */
  logger?: Logger | undefined;
  /** Monotonic clock in ms; default `performance.now` (a wall clock set back would freeze the result). */
  now?: (() => number) | undefined;
}

/** A shared, rate-bounded view of Redis's health. */
export interface RedisHealthCheck {
  /**
   * Redis's state, from a probe started at most `maxAgeMs` ago: concurrent callers share one
   * probe in flight, so there is at most one probe per `maxAgeMs` however many ask. Never rejects.
   */
  check(): Promise<RedisHealth>;
}

/**
 * The probe: `SET <probeKey> 1 XX`. A write command, so Redis puts it through every check a
 * write gets — `maxmemory` under `noeviction` (OOM), a read-only replica (READONLY), a failing
 * disk (MISCONF), loading, a busy script, a cluster without the slot — yet with XX on a key that
 * does not exist it writes nothing, so it is not replicated, not appended to the AOF and uses no
 * memory. One command per probe: a PING as well would double the cost for nothing.
 */
async function probe(redis: RedisClient, key: string, alsoReady: readonly RedisClient[]): Promise<{ state: RedisHealth; error?: unknown }> {
  // Not connected: with the offline queue off the command would fail at once anyway.
  if (!allReady([redis, ...alsoReady])) return { state: "down" };
  try {
    await redis.set(key, "1", "XX");
    return { state: "up" };
  } catch (error) {
    return { state: redisFailureOf(error) === "refusing" ? "refusing-writes" : "down", error };
  }
}

/** Builds the shared check for one process's Redis connection. */
export function createRedisHealthCheck(options: RedisHealthCheckOptions): RedisHealthCheck {
  const { redis, probeKey, logger } = options;
  const maxAgeMs = options.maxAgeMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  // The latest probe, settled or in flight, and when it started: its age counts from the start,
  // so a slow probe does not extend the rate beyond one per `maxAgeMs`.
  let latest: { startedAt: number; result: Promise<RedisHealth> } | undefined;
  let lastState: RedisHealth = "up";

  const run = async (): Promise<RedisHealth> => {
    const { state, error } = await probe(redis, probeKey, options.alsoReady ?? []);
    if (state !== lastState) {
      // Transitions only: a full Redis under a 1 s health poll would otherwise log every second.
      if (state === "up") logger?.info({ previous: lastState }, "Redis health: up again");
      else logger?.warn({ err: error, state }, state === "refusing-writes" ? "Redis health: refusing writes" : "Redis health: not answering");
      lastState = state;
    }
    return state;
  };

  return {
    check() {
      const at = now();
      if (latest && at - latest.startedAt < maxAgeMs) return latest.result;
      latest = { startedAt: at, result: run() };
      return latest.result;
    },
  };
}
