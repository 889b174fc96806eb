/**
 * Deleting dead jobs — one, or many by ids, filter or all — with the job, its log (attempt
 * history) and its place in the failed set. A job that is not dead is never removed here.
 */
import type { Queue } from "bullmq";
import type { DeadJobsDeleteManyResult } from "@taskgate/shared";
import { notDead, resolveQueue, type DeadJobsDeps } from "./deadJobsDeps.js";
import { failedScores } from "./failedSet.js";
import type { DeadJobFilter } from "./filter.js";
import { RETRY_BATCH_SIZE } from "./retry.js";
import { forEachMatching } from "./walk.js";

/** Removes a dead job, or throws NotFoundError when it is not dead (a live job is never removed here). */
export async function deleteDeadJob(deps: DeadJobsDeps, queueName: string, jobId: string): Promise<void> {
  const queue = resolveQueue(deps, queueName);
  if ((await queue.getJobState(jobId)) !== "failed") throw notDead(queueName, jobId);
  // Failed jobs hold no lock, so 0 here means it was removed (or retried and taken) meanwhile.
  if ((await queue.remove(jobId)) !== 1) throw notDead(queueName, jobId);
}

/** Removes the dead ones among `jobIds`; how many went. */
async function removeDead(deps: DeadJobsDeps, queue: Queue, jobIds: readonly string[]): Promise<number> {
  const scores = await failedScores(deps.redis, queue, jobIds);
  const dead = jobIds.filter((_, index) => scores[index] !== null);
  const removed = await Promise.all(dead.map((jobId) => queue.remove(jobId)));
  return removed.filter((count) => count === 1).length;
}

/** What to delete: exactly one of the three (the schema refuses an empty request). */
export type DeleteManySelection = { jobIds: readonly string[] } | { filter: DeadJobFilter } | { all: true };

/** Deletes the dead jobs selected; a dry run counts them and deletes none. */
export async function deleteDeadJobs(deps: DeadJobsDeps, queueName: string, selection: DeleteManySelection, options: { dryRun?: boolean | undefined; batchSize?: number } = {}): Promise<DeadJobsDeleteManyResult> {
  const queue = resolveQueue(deps, queueName);
  const batchSize = Math.max(1, options.batchSize ?? RETRY_BATCH_SIZE);
  let matched = 0;
  let deleted = 0;
  if ("jobIds" in selection) {
    const ids = [...new Set(selection.jobIds)];
    for (let start = 0; start < ids.length; start += batchSize) {
      const batch = ids.slice(start, start + batchSize);
      if (options.dryRun) matched += (await failedScores(deps.redis, queue, batch)).filter((score) => score !== null).length;
      else deleted += await removeDead(deps, queue, batch);
    }
    return { matched: options.dryRun ? matched : deleted, deleted };
  }
  const filter = "filter" in selection ? selection.filter : {};
  await forEachMatching(deps, queue, filter, batchSize, async (jobIds) => {
    matched += jobIds.length;
    if (!options.dryRun) deleted += await removeDead(deps, queue, jobIds);
  });
  return { matched, deleted };
}
