/**
 * Time-bucketed counters in Redis: one hash per minute and per hour of a series
 * (`redisKeys(prefix).counterBucket(series, bucket, startMs)`), each expiring on its own. The
 * API's request counters, the rate limiter's blocked-request counters and the workers' job
 * outcome counters share it.
 */
import { redisKeys } from "../keys.js";
import { METRIC_BUCKET_MS, METRIC_BUCKETS, type MetricBucket } from "../schemas/monitoring.js";
import type { RedisCommand } from "./redisBatch.js";

/** How long buckets are kept after they end, in ms (METRICS_MINUTE_RETENTION_MS, METRICS_HOUR_RETENTION_MS). */
export type BucketRetention = Record<MetricBucket, number>;

/** Start of the bucket holding `atMs`. */
export function bucketStart(atMs: number, bucket: MetricBucket): number {
  const size = METRIC_BUCKET_MS[bucket];
  return Math.floor(atMs / size) * size;
}

/**
 * The commands that add 1 to each of `fields` in the minute and the hour bucket of `series`
 * holding `atMs`, each bucket expiring `retention` after it ends. Any series can use it (the
 * blocked log's counters have the same layout as the request counters).
 */
export function bucketCounterCommands(keyPrefix: string, series: string, atMs: number, fields: readonly string[], retention: BucketRetention): RedisCommand[] {
  const keys = redisKeys(keyPrefix);
  const commands: RedisCommand[] = [];
  for (const bucket of METRIC_BUCKETS) {
    const start = bucketStart(atMs, bucket);
    const key = keys.counterBucket(series, bucket, start);
    for (const field of fields) commands.push(["hincrby", key, field, 1]);
    // Counted from the bucket's end, so every writer sets the same deadline.
    commands.push(["pexpireat", key, start + METRIC_BUCKET_MS[bucket] + retention[bucket]]);
  }
  return commands;
}
