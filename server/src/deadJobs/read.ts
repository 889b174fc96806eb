/**
 * Listing dead jobs newest first with a position cursor, and reading one with its stack traces.
 */
import type { Job, Queue } from "bullmq";
import { DEAD_JOBS_SCAN_BUDGET, type DeadJobDetail, type DeadJobsPage, type DeadJobSummary, type QueueName } from "@taskgate/shared";
import { decodeCursor, encodeCursor, type FailedSetPosition } from "./cursor.js";
import { notDead, resolveQueue, type DeadJobsDeps } from "./deadJobsDeps.js";
import { failedScores } from "./failedSet.js";
import { scanFiltered, type DeadJobFilter } from "./filter.js";
import { toDeadJobDetail, toDeadJobSummary } from "./view.js";

/** Options of `listDeadJobs`. */
export interface ListDeadJobsOptions {
  /** Page size; the schema bounds it to 1–100 (default 20). */
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
  /** Which dead jobs; default all. */
  filter?: DeadJobFilter | undefined;
  /** Most dead jobs one page examines (with `q` or `userId`); default DEAD_JOBS_SCAN_BUDGET (200). */
  scanBudget?: number | undefined;
}

async function loadWithLogs(queue: Queue, jobId: string): Promise<{ job: Job; logs: string[] } | undefined> {
  const [job, logs] = await Promise.all([queue.getJob(jobId), queue.getJobLogs(jobId)]);
  return job ? { job, logs: logs.logs } : undefined;
}

/**
 * One page of dead jobs, newest first, of those the filter matches. A filtered page examines at
 * most `scanBudget` jobs, so it may hold fewer than `limit` (even none) with a `nextCursor` to
 * go on from; a job removed between reading the set and loading it (retried, deleted, trimmed)
 * is left out too. `nextCursor` is null only when nothing older is left in range.
 */
export async function listDeadJobs(deps: DeadJobsDeps, queueName: string, options: ListDeadJobsOptions): Promise<DeadJobsPage> {
  const queue = resolveQueue(deps, queueName);
  const after = options.cursor !== undefined ? decodeCursor(options.cursor) : undefined;
  const scan = await scanFiltered(deps.redis, queue, options.filter ?? {}, after, options.limit, options.scanBudget ?? DEAD_JOBS_SCAN_BUDGET);
  const entries = scan.matches;
  const loaded = await Promise.all(entries.map((entry) => loadWithLogs(queue, entry.jobId)));
  const jobs: DeadJobSummary[] = [];
  loaded.forEach((found, index) => {
    if (found) jobs.push(toDeadJobSummary(found.job, found.logs, entries[index]!.score));
  });
  const next: FailedSetPosition | undefined = scan.next;
  return { queue: queueName as QueueName, total: scan.total, jobs, nextCursor: next ? encodeCursor(next) : null };
}

/** One dead job with every attempt's stack trace, or NotFoundError when it is not dead. */
export async function getDeadJob(deps: DeadJobsDeps, queueName: string, jobId: string): Promise<DeadJobDetail> {
  const queue = resolveQueue(deps, queueName);
  const [score] = await failedScores(deps.redis, queue, [jobId]);
  if (score === null || score === undefined) throw notDead(queueName, jobId);
  const found = await loadWithLogs(queue, jobId);
  if (!found) throw notDead(queueName, jobId);
  return toDeadJobDetail(queueName as QueueName, found.job, found.logs, score);
}
