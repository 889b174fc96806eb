/**
 * Deleting one dead job: the job, its log (attempt history) and its place in the failed set.
 */
import { notDead, resolveQueue, type DeadJobsDeps } from "./deadJobsDeps.js";

/** Removes a dead job, or throws NotFoundError when it is not dead (a live job is never removed here). */
export async function deleteDeadJob(deps: DeadJobsDeps, queueName: string, jobId: string): Promise<void> {
  const queue = resolveQueue(deps, queueName);
  if ((await queue.getJobState(jobId)) !== "failed") throw notDead(queueName, jobId);
  // Failed jobs hold no lock, so 0 here means it was removed (or retried and taken) meanwhile.
  if ((await queue.remove(jobId)) !== 1) throw notDead(queueName, jobId);
}
