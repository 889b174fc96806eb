/**
 * Time-bucketed counters in Redis: one hash per minute and per hour of a series
 * (`redisKeys(prefix).counterBucket(series, bucket, startMs)`), each expiring on its own. The
 * API's request counters, the rate limiter's blocked-request counters and the workers' job
 * outcome counters share it.
 */
import { redisKeys, type KeyBuilders } from "../keys.js";
import { METRIC_BUCKET_MS, METRIC_BUCKETS, type MetricBucket } from "../schemas/monitoring.js";
import type { RedisCommand } from "./redisBatch.js";

/** How long buckets are kept after they end, in ms (METRICS_MINUTE_RETENTION_MS, METRICS_HOUR_RETENTION_MS). */
export type BucketRetention = Record<MetricBucket, number>;

/** Start of the bucket holding `atMs`. */
export function bucketStart(atMs: number, bucket: MetricBucket): number {
  const size = METRIC_BUCKET_MS[bucket];
  return Math.floor(atMs / size) * size;
}

/** One bucket of a series: its key and when it expires (ms since the epoch). */
export interface CounterBucket {
  key: string;
  expiresAt: number;
}

/**
 * The minute and the hour bucket of `series` holding `atMs`, each expiring `retention` after it
 * ends: counted from the bucket's end, so every writer sets the same deadline.
 */
export function counterBucketsHolding(keys: Pick<KeyBuilders, "counterBucket">, series: string, atMs: number, retention: BucketRetention): CounterBucket[] {
  return METRIC_BUCKETS.map((bucket) => {
    const start = bucketStart(atMs, bucket);
    return { key: keys.counterBucket(series, bucket, start), expiresAt: start + METRIC_BUCKET_MS[bucket] + retention[bucket] };
  });
}

/**
 * The commands that add 1 to each of `fields` in the minute and the hour bucket of `series`
 * holding `atMs`. Any series can use it (the blocked log's counters have the same layout as the
 * request counters).
 */
export function bucketCounterCommands(keyPrefix: string, series: string, atMs: number, fields: readonly string[], retention: BucketRetention): RedisCommand[] {
  return counterBucketsHolding(redisKeys(keyPrefix), series, atMs, retention).flatMap(({ key, expiresAt }): RedisCommand[] => [
    ...fields.map((field): RedisCommand => ["hincrby", key, field, 1]),
    ["pexpireat", key, expiresAt],
  ]);
}
