/**
 * Cancelling a job that has not started (docs/OPERATIONS.md, "Cancelling and rescheduling").
 * BullMQ's removal refuses a job a worker holds (it checks the job's lock in the same script
 * that removes it, and a worker takes a job and its lock in one script), so a cancel racing the
 * worker has one outcome: removed, and no worker ever runs it; or refused, and it runs as usual.
 */
import type { Job, Queue } from "bullmq";
import type { EmailJobData, JobCancelResult, QueueName } from "@taskgate/shared";
import { JobNotPendingError, NotFoundError } from "../errors/appErrors.js";
import { readCancelled, recordCancelled, type CancelledJobsDeps } from "./cancelledJobs.js";
import { canView, publicState, queueOf, type Viewer } from "./jobStatus.js";
import type { Queues } from "./queues.js";

export interface CancelDeps extends CancelledJobsDeps {
  queues: Queues;
}

function cancelledResult(queue: QueueName, jobId: string, cancelledAt: number): JobCancelResult {
  return { jobId, queue, state: "cancelled", cancelledAt: new Date(cancelledAt) };
}

/** The job's public state now, for a refusal; `cancelled` once it is gone because a cancel won. */
async function stateNow(deps: CancelDeps, queue: Queue, queueName: QueueName, jobId: string): Promise<string> {
  const raw = await queue.getJobState(jobId);
  if (raw === "unknown") return (await readCancelled(deps, queueName, jobId)) ? "cancelled" : "gone";
  const job = await queue.getJob(jobId);
  return publicState(raw, job?.attemptsMade ?? 0) ?? raw;
}

/**
 * Cancels a waiting or scheduled job of its owner (or any job, for an admin): 200 with
 * `cancelledAt`, the same again for a job already cancelled; JobNotPendingError (409) once it
 * started, is retrying, finished or died; NotFoundError for someone else's or an unknown job.
 */
export async function cancelJob(deps: CancelDeps, queueName: string, jobId: string, viewer: Viewer): Promise<JobCancelResult> {
  const queue = queueOf(deps.queues, queueName);
  const name = queueName as QueueName;
  const notFound = () => new NotFoundError(`There is no job '${jobId}' in queue '${queueName}'.`);
  const raw = await queue.getJobState(jobId);
  if (raw === "unknown") {
    const cancelled = await readCancelled(deps, name, jobId);
    if (cancelled && (viewer.admin || cancelled.ownerId === null || cancelled.ownerId === viewer.userId)) return cancelledResult(name, jobId, cancelled.cancelledAt);
    throw notFound();
  }
  const job = (await queue.getJob(jobId)) as Job<EmailJobData> | undefined;
  if (!job || !canView(viewer, job)) throw notFound();
  const state = publicState(raw, job.attemptsMade);
  if (state !== "waiting" && state !== "scheduled") throw new JobNotPendingError(state ?? raw);

  if ((await queue.remove(jobId)) !== 1) {
    // A worker took it (or it changed) between the read and the removal: it runs as usual.
    const now = await stateNow(deps, queue, name, jobId);
    if (now === "cancelled") return cancelledResult(name, jobId, (await readCancelled(deps, name, jobId))!.cancelledAt);
    throw new JobNotPendingError(now);
  }
  const cancelledAt = Date.now();
  // Removed first, recorded second: a crash in between loses the record (status 404), never the
  // cancel (the job cannot run), where the other order could report cancelled for a job that runs.
  await recordCancelled(deps, {
    jobId,
    queue: name,
    ownerId: job.data.ownerId ?? null,
    createdAt: job.timestamp,
    cancelledAt,
    maxAttempts: job.opts.attempts ?? 1,
    scheduledFor: job.delay > 0 ? job.timestamp + job.delay : null,
  });
  return cancelledResult(name, jobId, cancelledAt);
}
