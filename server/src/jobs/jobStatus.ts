/**
 * A job's status as the API shows it: BullMQ's state named for people, timestamps, attempts.
 * Only the job's creator and admins see it; to anyone else it does not exist.
 */
import type { Job, Queue } from "bullmq";
import { decodeAttemptLogs, diedNonRetryable, type EmailJobData, type JobState, type JobStatus, type QueueName } from "@taskgate/shared";
import { NotFoundError } from "../errors/appErrors.js";

/** Who is asking: an admin sees every job; a user their own; open mode (null) sees all. */
export interface Viewer {
  userId: string | null;
  admin: boolean;
}

/** Maps BullMQ's state to the public one; `undefined` for a state the API does not show. */
export function publicState(state: string, attemptsMade: number): JobState | undefined {
  switch (state) {
    case "waiting":
    case "prioritized":
    case "waiting-children":
      return attemptsMade > 0 ? "retrying" : "waiting";
    case "delayed":
      return attemptsMade > 0 ? "retrying" : "scheduled";
    case "active":
      return "active";
    case "completed":
      return "completed";
    case "failed":
      return "dead";
    default:
      return undefined;
  }
}

/** Whether a viewer may see a job (its owner, an admin, or anyone for jobs made in open mode). */
export function canView(viewer: Viewer, job: Job<EmailJobData>): boolean {
  if (viewer.admin) return true;
  const owner = job.data.ownerId ?? null;
  return owner === null || owner === viewer.userId;
}

/** Reads one job's status, or throws NotFoundError (unknown queue, job, or not the viewer's). */
export async function getJobStatus(queues: Record<QueueName, Queue>, queueName: string, jobId: string, viewer: Viewer): Promise<JobStatus> {
  const queue = (queues as Record<string, Queue | undefined>)[queueName];
  if (!queue) throw new NotFoundError(`There is no queue named '${queueName}'.`);
  const notFound = () => new NotFoundError(`There is no job '${jobId}' in queue '${queueName}'.`);
  // The state first: it is "unknown" for ids that are no job — including BullMQ's own key
  // names (`events`, `meta`, `id`), which getJob would otherwise try to read as a job.
  const rawState = await queue.getJobState(jobId);
  if (rawState === "unknown") throw notFound();
  const [job, logs] = await Promise.all([queue.getJob(jobId) as Promise<Job<EmailJobData> | undefined>, queue.getJobLogs(jobId)]);
  if (!job || !canView(viewer, job)) throw notFound();
  const state = publicState(rawState, job.attemptsMade);
  if (!state) throw notFound();
  const attempts = decodeAttemptLogs(logs.logs);
  const scheduledFor = job.delay > 0 ? new Date(job.timestamp + job.delay) : undefined;
  return {
    jobId,
    queue: queueName as QueueName,
    state,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    createdAt: new Date(job.timestamp),
    ...(scheduledFor ? { scheduledFor } : {}),
    ...(job.processedOn ? { startedAt: new Date(job.processedOn) } : {}),
    ...(job.finishedOn ? { finishedAt: new Date(job.finishedOn) } : {}),
    ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    ...(state === "dead" ? { nonRetryable: diedNonRetryable(attempts, job.attemptsMade, job.opts.attempts ?? 1) } : {}),
    ...(job.returnvalue !== null && job.returnvalue !== undefined ? { result: job.returnvalue } : {}),
    attempts: attempts.map((a) => ({ at: new Date(a.at), error: a.error, ...(a.responseCode !== undefined ? { responseCode: a.responseCode } : {}) })),
  };
}
