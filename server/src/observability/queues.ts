/**
 * Queue monitoring: each queue's jobs by public state, and its completed/dead jobs per minute
 * over the last hour from the job-outcome counters every worker process flushes to the shared
 * minute buckets (worker/src/metrics/jobOutcomeCounts.ts), at most METRICS_FLUSH_MS late.
 */
import type { Queue } from "bullmq";
import { JOB_OUTCOME_FIELD, jobOutcomeSeries } from "@taskgate/shared/runtime";
import { METRIC_BUCKET_MS, type QueueJobCounts, type QueueOverview, type QueuesOverview } from "@taskgate/shared";
import { defineLuaCommands } from "@taskgate/shared/lua";
import type { Queues } from "../jobs/queues.js";
import type { RedisClient } from "../redis/connect.js";
import { readBuckets } from "./readSeries.js";
import { countRetryingScript, type CountRetryingCommands } from "./scripts.js";

/** Minutes in `perMinute`. */
export const QUEUE_MINUTES = 60;
/** Most delayed jobs examined to tell retrying from scheduled. */
export const MAX_DELAYED_EXAMINED = 10_000;

/** Counts one queue's jobs by public state (the states of `jobs.status`). */
export async function queueJobCounts(redis: RedisClient, queue: Queue): Promise<QueueJobCounts> {
  defineLuaCommands(redis, [countRetryingScript]);
  const [counts, [retrying]] = await Promise.all([
    queue.getJobCounts("waiting", "prioritized", "waiting-children", "delayed", "active", "completed", "failed"),
    (redis as unknown as CountRetryingCommands).countRetrying(queue.toKey("delayed"), `${queue.qualifiedName}:`, MAX_DELAYED_EXAMINED),
  ]);
  const n = (state: string) => counts[state] ?? 0;
  return {
    waiting: n("waiting") + n("prioritized") + n("waiting-children"),
    // Two reads, not one snapshot: a job moving in between must not make this negative.
    scheduled: Math.max(0, n("delayed") - retrying),
    active: n("active"),
    retrying,
    completed: n("completed"),
    dead: n("failed"),
  };
}

/** One queue's overview. */
export async function queueOverview(redis: RedisClient, keyPrefix: string, queue: Queue, now = Date.now()): Promise<QueueOverview> {
  const [counts, paused, minutes] = await Promise.all([
    queueJobCounts(redis, queue),
    queue.isPaused(),
    readBuckets(redis, keyPrefix, jobOutcomeSeries(queue.name), { bucket: "minute", from: now - (QUEUE_MINUTES - 1) * METRIC_BUCKET_MS.minute, to: now }, now),
  ]);
  return {
    name: queue.name,
    paused,
    counts,
    perMinute: minutes.map(({ start, fields }) => ({
      start: new Date(start),
      completed: Number(fields[JOB_OUTCOME_FIELD.completed] ?? 0),
      failed: Number(fields[JOB_OUTCOME_FIELD.dead] ?? 0),
    })),
  };
}

/** Every queue's overview (`monitoring.queues`). */
export async function queuesOverview(redis: RedisClient, keyPrefix: string, queues: Queues, now = Date.now()): Promise<QueuesOverview> {
  return { queues: await Promise.all(Object.values(queues).map((queue) => queueOverview(redis, keyPrefix, queue, now))) };
}
