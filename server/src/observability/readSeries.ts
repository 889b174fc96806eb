/**
 * Reads a range of time-bucketed counters (requests, or blocked requests as the rate limiter's
 * blocked log counts them) with one pipelined call, every bucket of the range included.
 */
import { MAX_METRIC_BUCKETS, METRIC_BUCKET_MS, redisKeys, type BlockedMetrics, type MetricBucket, type RequestMetrics } from "@taskgate/shared";
import { ValidationError } from "../errors/appErrors.js";
import type { RedisClient } from "../redis/connect.js";
import { bucketStart, runBatch } from "@taskgate/shared/runtime";

/** A range of buckets; times in ms since the epoch. */
export interface SeriesRange {
  from?: number | undefined;
  to?: number | undefined;
  bucket: MetricBucket;
}

/** One bucket as stored: its start and its raw hash. */
export interface RawBucket {
  start: number;
  fields: Record<string, string>;
}

/** How far back `from` defaults to: 60 minute buckets, or 24 hour buckets. */
const DEFAULT_SPAN_MS: Record<MetricBucket, number> = { minute: 59 * 60_000, hour: 23 * 3_600_000 };

/**
 * The bucket starts of a range, oldest first. Throws ValidationError (400) when `from` is after
 * `to` or the range spans more than MAX_METRIC_BUCKETS, so one read stays bounded.
 */
export function bucketStarts(range: SeriesRange, now: number): number[] {
  const to = range.to ?? now;
  const from = range.from ?? to - DEFAULT_SPAN_MS[range.bucket];
  if (from > to) throw new ValidationError([{ path: "from", message: "must not be after to" }]);
  const size = METRIC_BUCKET_MS[range.bucket];
  const first = bucketStart(from, range.bucket);
  const count = (bucketStart(to, range.bucket) - first) / size + 1;
  const max = MAX_METRIC_BUCKETS[range.bucket];
  if (count > max) {
    throw new ValidationError([{ path: "from", message: `the range spans ${count} ${range.bucket} buckets; at most ${max} may be read at once` }]);
  }
  return Array.from({ length: count }, (_, i) => first + i * size);
}

/** Reads the hashes of a range (missing or expired buckets read as empty). */
export async function readBuckets(redis: RedisClient, keyPrefix: string, series: string, range: SeriesRange, now = Date.now()): Promise<RawBucket[]> {
  const keys = redisKeys(keyPrefix);
  const starts = bucketStarts(range, now);
  const replies = await runBatch(redis, starts.map((start) => ["hgetall", keys.counterBucket(series, range.bucket, start)]));
  // A pipeline returns HGETALL's raw flat array; a direct call returns the object form.
  return starts.map((start, i) => ({ start, fields: asRecord(replies[i]) }));
}

function asRecord(reply: unknown): Record<string, string> {
  if (!Array.isArray(reply)) return (reply ?? {}) as Record<string, string>;
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) record[String(reply[i])] = String(reply[i + 1]);
  return record;
}

/** The fields under `prefix` (`route:`), by their name without it, as numbers. */
export function fieldsUnder(fields: Record<string, string>, prefix: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [name, value] of Object.entries(fields)) if (name.startsWith(prefix)) found[name.slice(prefix.length)] = Number(value);
  return found;
}

/** Request counters over a range (`monitoring.requestMetrics`). */
export async function readRequestMetrics(redis: RedisClient, keyPrefix: string, range: SeriesRange, now = Date.now()): Promise<RequestMetrics> {
  const buckets = await readBuckets(redis, keyPrefix, "requests", range, now);
  return {
    bucket: range.bucket,
    series: buckets.map(({ start, fields }) => ({
      start: new Date(start),
      total: Number(fields.total ?? 0),
      byRoute: fieldsUnder(fields, "route:"),
      byStatus: fieldsUnder(fields, "status:"),
    })),
  };
}

/** Blocked-request counters over a range (`monitoring.blockedMetrics`), as the blocked log writes them. */
export async function readBlockedMetrics(redis: RedisClient, keyPrefix: string, range: SeriesRange, now = Date.now()): Promise<BlockedMetrics> {
  const buckets = await readBuckets(redis, keyPrefix, "blocked", range, now);
  return {
    bucket: range.bucket,
    series: buckets.map(({ start, fields }) => ({
      start: new Date(start),
      total: Number(fields.total ?? 0),
      byRule: fieldsUnder(fields, "rule:"),
      byRoute: fieldsUnder(fields, "route:"),
      shadowTotal: Number(fields.shadow ?? 0),
      shadowByRule: fieldsUnder(fields, "shadowRule:"),
    })),
  };
}
