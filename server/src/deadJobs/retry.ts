/**
 * Retrying dead jobs: back to waiting under the same id with fresh attempts, so the worker's
 * execution guard (keyed on queue and job id) still knows whether the effect already happened.
 * Retry-all works in batches and yields to the event loop between them, so neither Redis nor
 * this process is held for long however many jobs are dead.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Job, Queue } from "bullmq";
import type { DeadJobRetryResult, DeadJobsRetryAllResult } from "@taskgate/shared";
import { statusPath } from "../jobs/enqueueEmail.js";
import type { FailedSetPosition } from "./cursor.js";
import { notDead, resolveQueue, type DeadJobsDeps } from "./deadJobsDeps.js";
import { failedScores, readFailedPage } from "./failedSet.js";

/** Jobs re-queued per batch of retry-all (100). */
export const RETRY_BATCH_SIZE = 100;

/** Options of `retryAllDeadJobs`. */
export interface RetryAllOptions {
  /** Only these jobs (those among them that are dead); all dead jobs when absent. */
  jobIds?: readonly string[] | undefined;
  /** Jobs per batch; default RETRY_BATCH_SIZE. */
  batchSize?: number;
}

/**
 * Moves one failed job back to waiting with attemptsMade and attemptsStarted reset. False
 * when the job is not (or no longer) in the failed set: someone else retried or removed it.
 */
async function requeue(queue: Queue, job: Job): Promise<boolean> {
  try {
    await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  } catch (error) {
    if ((await queue.getJobState(job.id!)) !== "failed") return false;
    throw error;
  }
}

/** Re-queues the dead ones among `jobIds`; ids that are not in the failed set are never read. */
async function requeueIds(deps: DeadJobsDeps, queue: Queue, jobIds: readonly string[]): Promise<number> {
  const scores = await failedScores(deps.redis, queue, jobIds);
  const dead = jobIds.filter((_, index) => scores[index] !== null);
  const jobs = await Promise.all(dead.map((jobId) => queue.getJob(jobId)));
  const done = await Promise.all(jobs.map((job) => (job ? requeue(queue, job) : false)));
  return done.filter(Boolean).length;
}

/** Retries one dead job → waiting; NotFoundError when it is not dead. */
export async function retryDeadJob(deps: DeadJobsDeps, queueName: string, jobId: string): Promise<DeadJobRetryResult> {
  const queue = resolveQueue(deps, queueName);
  if ((await requeueIds(deps, queue, [jobId])) !== 1) throw notDead(queueName, jobId);
  return { jobId, queue: queue.name as DeadJobRetryResult["queue"], state: "waiting", statusUrl: statusPath(queue.name, jobId) };
}

/**
 * Retries every dead job of a queue (or the dead ones among `jobIds`) and says how many.
 * Without ids it walks the failed set newest first from where it stood at the start: a job
 * that dies while the walk runs (even a just-retried one failing again) sorts above the
 * walk's position and is not retried twice by one call.
 */
export async function retryAllDeadJobs(deps: DeadJobsDeps, queueName: string, options: RetryAllOptions = {}): Promise<DeadJobsRetryAllResult> {
  const queue = resolveQueue(deps, queueName);
  const batchSize = Math.max(1, options.batchSize ?? RETRY_BATCH_SIZE);
  let retried = 0;
  if (options.jobIds) {
    const ids = [...new Set(options.jobIds)];
    for (let start = 0; start < ids.length; start += batchSize) {
      if (start > 0) await nextTurn();
      retried += await requeueIds(deps, queue, ids.slice(start, start + batchSize));
    }
    return { retried };
  }
  let after: FailedSetPosition | undefined;
  for (;;) {
    const { entries } = await readFailedPage(deps.redis, queue, after, batchSize);
    if (entries.length === 0) return { retried };
    retried += await requeueIds(
      deps,
      queue,
      entries.map((entry) => entry.jobId),
    );
    after = entries.at(-1);
    if (entries.length < batchSize) return { retried };
    await nextTurn();
  }
}
