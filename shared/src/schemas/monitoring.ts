/**
 * Inputs and outputs of the monitoring procedures (`monitoring.*`, `/monitoring/...`,
 * `/metrics/...`): the blocked-request log, time-bucketed counters and queue overviews.
 */
import { z } from "zod";

/** Bucket sizes of the time-bucketed counters. */
export const METRIC_BUCKETS = ["minute", "hour"] as const;
export type MetricBucket = (typeof METRIC_BUCKETS)[number];

/** Length of one bucket, in ms. */
export const METRIC_BUCKET_MS: Record<MetricBucket, number> = { minute: 60_000, hour: 3_600_000 };

/** Most buckets one read may span: a day of minutes, 30 days of hours. */
export const MAX_METRIC_BUCKETS: Record<MetricBucket, number> = { minute: 24 * 60, hour: 30 * 24 };

// A calendar date, or a date and time with seconds optional, fractions optional and a zone required.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const EPOCH_MS = /^\d{1,15}$/;

function toEpochMs(value: Date | number | string): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "number") return value;
  if (EPOCH_MS.test(value)) return Number(value);
  return ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
}

/**
 * A point in time as callers send it — ISO 8601 with a zone (or a bare date, read as UTC), epoch
 * milliseconds as a number or as digits (query strings are strings), or a Date (tRPC) — parsed
 * to epoch ms.
 */
export const timeInput = z.union([z.date(), z.number(), z.string().max(64)]).transform((value, ctx): number => {
  const ms = toEpochMs(value);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    ctx.addIssue({ code: "custom", message: "must be an ISO 8601 time with a zone or epoch milliseconds" });
    return z.NEVER;
  }
  return ms;
});

/**
 * A page cursor into a Redis stream (the blocked log, the audit log): a stream id `<ms>-<seq>`;
 * at most 19 digits each, so Redis accepts every value that passes, and never `0-0`, below which
 * nothing exists.
 */
export const streamCursor = z
  .string()
  .regex(/^\d{1,19}-\d{1,19}$/, "must be a nextCursor from a previous page")
  .refine((cursor) => !/^0+-0+$/.test(cursor), "must be a nextCursor from a previous page");

/** Input of `monitoring.blocked` (`GET /monitoring/rate-limits/blocked`); every filter optional. */
export const blockedQueryInput = z
  .object({
    /** Most entries returned; default 100, at most 1000. */
    limit: z.coerce.number<string | number>().int().min(1).max(1000).default(100),
    /** Oldest time included. */
    since: timeInput.optional(),
    /** Newest time included. */
    until: timeInput.optional(),
    ip: z.string().min(1).max(128).optional(),
    userId: z.string().min(1).max(128).optional(),
    /** Rule name. */
    rule: z.string().min(1).max(64).optional(),
    /** REST alias, e.g. `POST /jobs/email`. */
    route: z.string().min(1).max(256).optional(),
    /**
     * `nextCursor` of the previous page: continue with the entries older than it (it replaces
     * `until`). A stream id `<ms>-<seq>`; at most 19 digits each, so Redis accepts every value
     * that passes, and never `0-0`, below which nothing exists.
     */
    cursor: streamCursor.optional(),
  })
  .prefault({});
export type BlockedQueryInput = z.input<typeof blockedQueryInput>;

/** One blocked request, as the monitoring API shows it. */
export const blockedRequest = z.object({
  /** When it was denied. */
  at: z.date(),
  requestId: z.string(),
  ip: z.string(),
  /** Null in open mode or for unauthenticated requests. */
  userId: z.string().nullable(),
  /** REST alias of the route, e.g. `POST /jobs/email`. */
  route: z.string(),
  /** The reported (violated) rule. */
  rule: z.string(),
  limit: z.number(),
  windowMs: z.number(),
  retryAfterMs: z.number(),
  /** True when a shadow rule would have denied it: the request passed (docs/RATE_LIMITING.md). */
  shadow: z.boolean(),
});
export type BlockedRequest = z.infer<typeof blockedRequest>;

/** The answer of `monitoring.blocked`: newest first. */
export const blockedLogPage = z.object({
  entries: z.array(blockedRequest),
  /**
   * Pass as `cursor` for the next (older) page; `null` once the read reached the oldest entry in
   * range. A cursor may lead to an empty page when no older entry matches.
   */
  nextCursor: z.string().nullable(),
});
export type BlockedLogPage = z.infer<typeof blockedLogPage>;

/**
 * Input of `monitoring.requestMetrics` and `monitoring.blockedMetrics`. `to` defaults to now;
 * `from` to 60 minutes (minute buckets) or 24 hours (hour buckets) before `to`.
 */
export const counterSeriesInput = z
  .object({
    from: timeInput.optional(),
    to: timeInput.optional(),
    /** Bucket size; default `minute`. */
    bucket: z.enum(METRIC_BUCKETS).default("minute"),
  })
  .prefault({});
export type CounterSeriesInput = z.input<typeof counterSeriesInput>;

const counts = z.record(z.string(), z.number());

/** One bucket of request counters. */
export const requestBucket = z.object({
  /** Start of the bucket. */
  start: z.date(),
  total: z.number(),
  /** By route: REST alias (`POST /jobs/email`), `TRPC <procedure>` for procedures without one, or `(unmatched)`. */
  byRoute: counts,
  /** By exact status code: `"202"`, `"404"`, `"429"`, … */
  byStatus: counts,
});

/** The answer of `monitoring.requestMetrics`: every bucket of the range, oldest first, empty ones included. */
export const requestMetrics = z.object({ bucket: z.enum(METRIC_BUCKETS), series: z.array(requestBucket) });
export type RequestMetrics = z.infer<typeof requestMetrics>;

/** One bucket of blocked-request counters. */
export const blockedBucket = z.object({
  start: z.date(),
  /** Requests denied (shadow hits not included). */
  total: z.number(),
  byRule: counts,
  byRoute: counts,
  /** Requests a shadow rule would have denied (they passed). */
  shadowTotal: z.number(),
  /** Shadow hits by shadow rule. */
  shadowByRule: counts,
});

/** The answer of `monitoring.blockedMetrics`: every bucket of the range, oldest first, empty ones included. */
export const blockedMetrics = z.object({ bucket: z.enum(METRIC_BUCKETS), series: z.array(blockedBucket) });
export type BlockedMetrics = z.infer<typeof blockedMetrics>;

/** How many jobs a queue holds, by public state (see `JOB_STATES`). */
export const queueJobCounts = z.object({
  /** Ready to run (including prioritized jobs and jobs waiting for children). */
  waiting: z.number(),
  /** Delayed until a chosen time (scheduled mail). */
  scheduled: z.number(),
  active: z.number(),
  /** Delayed for a retry backoff after a failed attempt. */
  retrying: z.number(),
  /** Completed and still retained (JOB_KEEP_COMPLETED_*). */
  completed: z.number(),
  /** Failed for good and still retained (JOB_KEEP_DEAD_*). */
  dead: z.number(),
});
export type QueueJobCounts = z.infer<typeof queueJobCounts>;

/** One minute of a queue's outcomes. */
export const queueMinute = z.object({
  start: z.date(),
  completed: z.number(),
  /** Jobs that went dead (a failed attempt that will be retried is not counted). */
  failed: z.number(),
});

/** One queue in `monitoring.queues`. */
export const queueOverview = z.object({
  name: z.string(),
  paused: z.boolean(),
  counts: queueJobCounts,
  /** The last 60 minutes, oldest first; the last entry is the current (partial) minute. */
  perMinute: z.array(queueMinute),
});
export type QueueOverview = z.infer<typeof queueOverview>;

/** The answer of `monitoring.queues`. */
export const queuesOverview = z.object({ queues: z.array(queueOverview) });
export type QueuesOverview = z.infer<typeof queuesOverview>;
