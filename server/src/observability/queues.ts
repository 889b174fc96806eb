/**
 * Queue monitoring: each queue's jobs by public state, and its completed/dead jobs per minute
 * over the last hour from BullMQ's own metrics (the worker is created with
 * `metrics: { maxDataPoints: MetricsTime.ONE_HOUR }`, which counts inside BullMQ's finishing
 * script, so every worker process adds to the same Redis counters).
 */
import type { Metrics, Queue } from "bullmq";
import type { QueueJobCounts, QueueOverview, QueuesOverview } from "@taskgate/shared";
import { defineLuaCommands } from "@taskgate/shared/lua";
import type { Queues } from "../jobs/queues.js";
import type { RedisClient } from "../redis/connect.js";
import { countRetryingScript, type CountRetryingCommands } from "./scripts.js";

const MINUTE_MS = 60_000;
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

/**
 * Lays BullMQ's per-minute data points out as the last `minutes` minutes, oldest first, the
 * last being the current minute. BullMQ pushes a minute's count only when a job finishes in a
 * later minute: until then it is `meta.count - meta.prevCount`, in the minute of `meta.prevTS`,
 * and `data[i]` is the minute `i + 1` before that one.
 */
export function minuteCounts(metrics: Pick<Metrics, "meta" | "data">, now: number, minutes = QUEUE_MINUTES): number[] {
  const counts = new Array<number>(minutes).fill(0);
  if (!metrics.meta.prevTS) return counts;
  const nowMinute = Math.floor(now / MINUTE_MS);
  const lastMinute = Math.floor(metrics.meta.prevTS / MINUTE_MS);
  const add = (minute: number, value: number) => {
    const index = minutes - 1 - (nowMinute - minute);
    if (index >= 0 && index < minutes) counts[index] = (counts[index] ?? 0) + value;
  };
  add(lastMinute, metrics.meta.count - metrics.meta.prevCount);
  metrics.data.forEach((value, i) => add(lastMinute - 1 - i, value));
  return counts;
}

/** One queue's overview. */
export async function queueOverview(redis: RedisClient, queue: Queue, now = Date.now()): Promise<QueueOverview> {
  const [counts, paused, completed, failed] = await Promise.all([
    queueJobCounts(redis, queue),
    queue.isPaused(),
    queue.getMetrics("completed", 0, QUEUE_MINUTES - 1),
    queue.getMetrics("failed", 0, QUEUE_MINUTES - 1),
  ]);
  const done = minuteCounts(completed, now);
  const dead = minuteCounts(failed, now);
  const firstMinute = (Math.floor(now / MINUTE_MS) - QUEUE_MINUTES + 1) * MINUTE_MS;
  return {
    name: queue.name,
    paused,
    counts,
    perMinute: done.map((value, i) => ({ start: new Date(firstMinute + i * MINUTE_MS), completed: value, failed: dead[i] ?? 0 })),
  };
}

/** Every queue's overview (`monitoring.queues`). */
export async function queuesOverview(redis: RedisClient, queues: Queues, now = Date.now()): Promise<QueuesOverview> {
  return { queues: await Promise.all(Object.values(queues).map((queue) => queueOverview(redis, queue, now))) };
}
