/**
 * Moving a waiting or scheduled job to a new time, atomically with respect to the workers
 * (lua/rescheduleJob-5.lua): it runs at the new time and never at the old one.
 */
import type { Job } from "bullmq";
import { defineLuaCommands } from "@taskgate/shared/lua";
import type { EmailJobData, JobRescheduleResult, QueueName } from "@taskgate/shared";
import { JobNotPendingError, NotFoundError } from "../errors/appErrors.js";
import type { RedisClient } from "../redis/connect.js";
import { readCancelled } from "./cancelledJobs.js";
import { statusPath } from "./enqueueEmail.js";
import { canView, publicState, queueOf, type Viewer } from "./jobStatus.js";
import type { Queues } from "./queues.js";
import { rescheduleJobScript, type RescheduleJobCommands } from "./scripts.js";

export interface RescheduleDeps {
  queues: Queues;
  /** The queues' connection (the script is registered on it). */
  redis: RedisClient;
  /** `KEY_PREFIX`: where cancelled jobs are recorded (a cancelled job is a 409, not a 404). */
  keyPrefix: string;
}

/**
 * Reschedules a job of its owner (or any, for an admin) to `atMs` (ms since the epoch):
 * JobNotPendingError (409) once it started, is retrying, finished, died or was cancelled, as
 * `cancelJob` answers; NotFoundError for someone else's or an unknown job.
 */
export async function rescheduleJob(deps: RescheduleDeps, queueName: string, jobId: string, atMs: number, viewer: Viewer): Promise<JobRescheduleResult> {
  const queue = queueOf(deps.queues, queueName);
  const notFound = () => new NotFoundError(`There is no job '${jobId}' in queue '${queueName}'.`);
  // The state first: BullMQ's own key names (`meta`, `events`) are "unknown", never read as jobs.
  const raw = await queue.getJobState(jobId);
  if (raw === "unknown") {
    const cancelled = await readCancelled(deps, queueName as QueueName, jobId);
    if (cancelled && (viewer.admin || cancelled.ownerId === null || cancelled.ownerId === viewer.userId)) throw new JobNotPendingError("cancelled");
    throw notFound();
  }
  const job = (await queue.getJob(jobId)) as Job<EmailJobData> | undefined;
  if (!job || !canView(viewer, job)) throw notFound();
  defineLuaCommands(deps.redis, [rescheduleJobScript]);
  const client = deps.redis as unknown as RescheduleJobCommands;
  const delay = Math.max(0, atMs - Date.now());
  const moved = await client.rescheduleJob(queue.toKey(jobId), queue.toKey("wait"), queue.toKey("delayed"), queue.toKey("marker"), queue.toKey("events"), jobId, atMs, delay);
  if (moved === -1) throw notFound();
  if (moved !== 1) {
    const now = await queue.getJobState(jobId);
    throw new JobNotPendingError(moved === -2 ? "retrying" : (publicState(now, job.attemptsMade) ?? now));
  }
  return { jobId, queue: queueName as QueueName, state: "scheduled", scheduledFor: new Date(atMs), statusUrl: statusPath(queueName, jobId) };
}
