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
import { notDead, resolveQueue, type DeadJobsDeps } from "./deadJobsDeps.js";
import { failedScores } from "./failedSet.js";
import type { DeadJobFilter } from "./filter.js";
import { forEachMatching } from "./walk.js";

/** Jobs re-queued per batch of retry-all (100). */
export const RETRY_BATCH_SIZE = 100;

/** Options of `retryAllDeadJobs`. */
export interface RetryAllOptions {
  /** Only these jobs (those among them that are dead); all dead jobs when absent. */
  jobIds?: readonly string[] | undefined;
  /** Only the dead jobs it matches (instead of `jobIds`); default all. */
  filter?: DeadJobFilter | undefined;
  /** Count what would be retried; change nothing. */
  dryRun?: boolean | undefined;
  /** Jobs per batch; default RETRY_BATCH_SIZE. */
  batchSize?: number;
}

/**
 * BullMQ's counters of a job that `Job.retry`'s reset leaves: `stc`, how often it stalled
 * (compared with `maxStalledCount`), and `defa`, a failure deferred to its next fetch. Kept, a
 * job that died of stalls would die again at its first stall after the retry.
 */
const STALL_FIELDS = ["stc", "defa"] as const;

/**
 * Moves one failed job back to waiting with fresh attempts: attemptsMade, attemptsStarted and
 * the stall count reset. False when the job is not (or no longer) in the failed set: someone
 * else retried or removed it.
 */
async function requeue(redis: DeadJobsDeps["redis"], queue: Queue, job: Job): Promise<boolean> {
  try {
    // Before the retry, while the job is still dead and no worker can touch it; if the retry
    // then fails, a dead job without a stall count is no different.
    await redis.hdel(queue.toKey(job.id!), ...STALL_FIELDS);
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
  const done = await Promise.all(jobs.map((job) => (job ? requeue(deps.redis, queue, job) : false)));
  return done.filter(Boolean).length;
}

/** Retries one dead job → waiting; NotFoundError when it is not dead. */
export async function retryDeadJob(deps: DeadJobsDeps, queueName: string, jobId: string): Promise<DeadJobRetryResult> {
  const queue = resolveQueue(deps, queueName);
  if ((await requeueIds(deps, queue, [jobId])) !== 1) throw notDead(queueName, jobId);
  return { jobId, queue: queue.name as DeadJobRetryResult["queue"], state: "waiting", statusUrl: statusPath(queue.name, jobId) };
}

/**
 * Retries the dead jobs of a queue — all, the dead ones among `jobIds`, or those `filter`
 * matches — and says how many it matched and retried (a dry run retries none). Without ids it
 * walks the failed set newest first from where it stood at the start (walk.ts): a job that dies
 * while the walk runs (even a just-retried one failing again) sorts above the walk's position
 * and is not retried twice by one call.
 */
export async function retryAllDeadJobs(deps: DeadJobsDeps, queueName: string, options: RetryAllOptions = {}): Promise<DeadJobsRetryAllResult> {
  const queue = resolveQueue(deps, queueName);
  const batchSize = Math.max(1, options.batchSize ?? RETRY_BATCH_SIZE);
  let matched = 0;
  let retried = 0;
  if (options.jobIds) {
    const ids = [...new Set(options.jobIds)];
    for (let start = 0; start < ids.length; start += batchSize) {
      if (start > 0) await nextTurn();
      const batch = ids.slice(start, start + batchSize);
      if (options.dryRun) matched += (await failedScores(deps.redis, queue, batch)).filter((score) => score !== null).length;
      else retried += await requeueIds(deps, queue, batch);
    }
    return { matched: options.dryRun ? matched : retried, retried };
  }
  await forEachMatching(deps, queue, options.filter ?? {}, batchSize, async (jobIds) => {
    matched += jobIds.length;
    if (!options.dryRun) retried += await requeueIds(deps, queue, jobIds);
  });
  return { matched, retried };
}
