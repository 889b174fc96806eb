/**
 * Time-bucketed request counters in Redis, shared by every API process: one hash per minute
 * and per hour (`redisKeys(prefix).counterBucket("requests", bucket, startMs)`) with fields
 * `total`, `route:<route>` and `status:<code>` (the exact status: operators tell a 429 from a
 * 404), each expiring on its own.
 */
import { METRIC_BUCKET_MS, METRIC_BUCKETS, redisKeys, type MetricBucket } from "@taskgate/shared";
import type { RedisCommand } from "../redis/batch.js";

/** How long buckets are kept after they end, in ms (METRICS_MINUTE_RETENTION_MS, METRICS_HOUR_RETENTION_MS). */
export type BucketRetention = Record<MetricBucket, number>;

/** The config's default retention: minute buckets 48 h, hour buckets 30 days. */
export const DEFAULT_BUCKET_RETENTION: BucketRetention = { minute: 48 * 3_600_000, hour: 30 * 86_400_000 };

/** One finished request. */
export interface RequestSample {
  /** When it finished, in ms since the epoch; picks the buckets. */
  at: number;
  /** Route template (never the raw URL, so the field count stays bounded). */
  route: string;
  /** HTTP status sent. */
  status: number;
}

/** `2xx`, `4xx`, …: the latency histogram's label, where exact codes would multiply the series. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** Start of the bucket holding `atMs`. */
export function bucketStart(atMs: number, bucket: MetricBucket): number {
  const size = METRIC_BUCKET_MS[bucket];
  return Math.floor(atMs / size) * size;
}

/**
 * The commands that add 1 to each of `fields` in the minute and the hour bucket of `series`
 * holding `atMs`, each bucket expiring `retention` after it ends. Any series can use it (the
 * blocked log's counters have the same layout).
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

/** The fields one request adds to its buckets: `total`, `route:<route>` and `status:<code>` (`status:429`). */
export function requestCounterFields(sample: Pick<RequestSample, "route" | "status">): string[] {
  return ["total", `route:${sample.route}`, `status:${sample.status}`];
}
