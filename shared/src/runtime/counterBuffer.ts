/**
 * Sums counts in memory and writes them to the shared Redis time buckets once per
 * METRICS_FLUSH_MS, in one pipelined call: the Redis cost of counting stays constant however
 * many requests (API) or jobs (worker) a process handles, as Sidekiq's processed/failed
 * counters are flushed with its heartbeat. Counts reach Redis at most one flush late (and are
 * flushed on shutdown); a failed flush is logged and its counts are dropped, never retried
 * forever.
 */
import type { Logger } from "pino";
import { redisKeys } from "../keys.js";
import { runBatch, type RedisClient, type RedisCommand } from "./redisBatch.js";
import { counterBucketsHolding, type BucketRetention } from "./timeBuckets.js";

export interface CounterBufferOptions {
  redis: RedisClient;
  keyPrefix: string;
  retention: BucketRetention;
  /** Flush period, in ms (METRICS_FLUSH_MS). */
  flushMs: number;
  logger: Logger;
}

export interface CounterBuffer {
  /** Adds 1 to each field in the minute and hour bucket of `series` holding `atMs`. */
  add(series: string, atMs: number, fields: readonly string[]): void;
  /** Writes what was summed so far (one round trip; none when nothing is pending). */
  flush(): Promise<void>;
  /** Stops the timer and flushes the rest. */
  close(): Promise<void>;
}

export function createCounterBuffer(options: CounterBufferOptions): CounterBuffer {
  const keys = redisKeys(options.keyPrefix);
  // key → (field → count), plus each key's expiry deadline.
  let pending = new Map<string, Map<string, number>>();
  let deadlines = new Map<string, number>();

  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    const expiries = deadlines;
    pending = new Map();
    deadlines = new Map();
    const commands: RedisCommand[] = [];
    for (const [key, fields] of batch) {
      for (const [field, count] of fields) commands.push(["hincrby", key, field, count]);
      commands.push(["pexpireat", key, expiries.get(key)!]);
    }
    try {
      await runBatch(options.redis, commands);
    } catch (error) {
      options.logger.debug({ err: error, keys: batch.size }, "could not write counters to Redis");
    }
  };

  const timer = setInterval(() => void flush(), options.flushMs);
  timer.unref();

  return {
    add(series, atMs, fields) {
      for (const { key, expiresAt } of counterBucketsHolding(keys, series, atMs, options.retention)) {
        let counts = pending.get(key);
        if (!counts) {
          counts = new Map();
          pending.set(key, counts);
          deadlines.set(key, expiresAt);
        }
        for (const field of fields) counts.set(field, (counts.get(field) ?? 0) + 1);
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
