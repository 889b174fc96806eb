/**
 * Listing dead jobs newest first with a position cursor, and reading one with its stack traces.
 */
import type { Job, Queue } from "bullmq";
import type { DeadJobDetail, DeadJobsPage, DeadJobSummary, QueueName } from "@taskgate/shared";
import { decodeCursor, encodeCursor, type FailedSetPosition } from "./cursor.js";
import { notDead, resolveQueue, type DeadJobsDeps } from "./deadJobsDeps.js";
import { failedScores, readFailedPage } from "./failedSet.js";
import { toDeadJobDetail, toDeadJobSummary } from "./view.js";

/** Options of `listDeadJobs`. */
export interface ListDeadJobsOptions {
  /** Page size; the schema bounds it to 1–100 (default 20). */
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

async function loadWithLogs(queue: Queue, jobId: string): Promise<{ job: Job; logs: string[] } | undefined> {
  const [job, logs] = await Promise.all([queue.getJob(jobId), queue.getJobLogs(jobId)]);
  return job ? { job, logs: logs.logs } : undefined;
}

/**
 * One page of dead jobs, newest first. A job removed between reading the set and loading it
 * (retried, deleted, trimmed by retention) is left out, so a page may hold fewer than `limit`;
 * `nextCursor` is null only when the set has nothing older.
 */
export async function listDeadJobs(deps: DeadJobsDeps, queueName: string, options: ListDeadJobsOptions): Promise<DeadJobsPage> {
  const queue = resolveQueue(deps, queueName);
  const after = options.cursor !== undefined ? decodeCursor(options.cursor) : undefined;
  // One extra entry tells whether an older page exists without a second read.
  const page = await readFailedPage(deps.redis, queue, after, options.limit + 1);
  const entries = page.entries.slice(0, options.limit);
  const loaded = await Promise.all(entries.map((entry) => loadWithLogs(queue, entry.jobId)));
  const jobs: DeadJobSummary[] = [];
  loaded.forEach((found, index) => {
    if (found) jobs.push(toDeadJobSummary(found.job, found.logs, entries[index]!.score));
  });
  const last: FailedSetPosition | undefined = entries.at(-1);
  return {
    queue: queueName as QueueName,
    total: page.total,
    jobs,
    nextCursor: page.entries.length > options.limit && last ? encodeCursor(last) : null,
  };
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
