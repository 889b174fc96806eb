/**
 * A job's status as the API shows it: BullMQ's state named for people, timestamps, attempts.
 * Only the job's creator and admins see it; to anyone else it does not exist. Admins see the
 * worker's failure detail (SMTP replies, socket errors naming hosts and ports); the creator
 * sees a sentence saying the same thing without them.
 */
import type { Job, Queue } from "bullmq";
import { decodeAttemptLogs, diedNonRetryable, type EmailJobData, type JobState, type JobStatus, type QueueName } from "@taskgate/shared";
import { NotFoundError } from "../errors/appErrors.js";
import type { RedisClient } from "../redis/connect.js";
import { cancelledStatus, readCancelled } from "./cancelledJobs.js";

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

/**
 * How the worker words a failure (`worker/src/email/classify.ts`: "<what>: <detail>") and what
 * the job's creator is told instead. The detail — an SMTP server's reply, a socket error with
 * its host and port, a file path — is for admins; the creator learns what happened and whether
 * it is being retried. Matching is by the stable prefix only; a reason nobody listed here gets
 * the generic sentence, so new worker wording can never leak through.
 */
const FAILURE_SENTENCES: ReadonlyArray<{ match: RegExp; sentence: string | ((temporary: boolean) => string) }> = [
  { match: /^SMTP server unreachable\b/, sentence: "The mail server could not be reached" },
  { match: /^the send took longer than\b/, sentence: "The mail server took too long to answer" },
  { match: /^recipient rejected: /, sentence: (temporary) => (temporary ? "The mail server temporarily refused the recipient" : "The mail server rejected the recipient") },
  { match: /^message rejected: /, sentence: (temporary) => (temporary ? "The mail server temporarily refused the message" : "The mail server refused the message") },
  { match: /^SMTP authentication failed: /, sentence: (temporary) => (temporary ? "The mail server temporarily refused to let us sign in" : "The mail server did not accept our sign-in") },
  { match: /^invalid message: /, sentence: "The message could not be built from the job's data" },
  // BullMQ's own reason when a job's worker kept dying under it.
  { match: /stalled more than allowable limit/, sentence: "The job was interrupted too many times" },
];

/**
 * What a failure was, in words free of hosts, ports, paths and driver text, without final
 * punctuation: "The mail server could not be reached". An SMTP 4xx reads as temporary.
 */
export function describeFailure(reason: string): string {
  // The worker puts the SMTP reply code right after the prefix: "message rejected: 451 4.3.0 …".
  const temporary = /^[^:]+: 4\d\d\b/.test(reason);
  for (const { match, sentence } of FAILURE_SENTENCES) {
    if (match.test(reason)) return typeof sentence === "function" ? sentence(temporary) : sentence;
  }
  return "Sending failed";
}

/** The creator's `failedReason`: what went wrong and what happens next, as one sentence. */
export function publicFailedReason(reason: string, state: JobState, attemptsMade: number, permanent: boolean): string {
  const what = describeFailure(reason);
  if (state === "completed") return `${what}; a later attempt succeeded.`;
  if (state !== "dead") return `${what}; retrying.`;
  if (permanent) return `${what}.`;
  return `${what}; gave up after ${attemptsMade} ${attemptsMade === 1 ? "attempt" : "attempts"}.`;
}

/** The queue named `name`, or NotFoundError. An own entry only: `__proto__` or `toString` is an unknown queue. */
export function queueOf(queues: Record<QueueName, Queue>, name: string): Queue {
  const queue = Object.hasOwn(queues, name) ? (queues as Record<string, Queue>)[name] : undefined;
  if (!queue) throw new NotFoundError(`There is no queue named '${name}'.`);
  return queue;
}

/** Where cancelled jobs' records are read (cancelledJobs.ts). */
export interface StatusDeps {
  queues: Record<QueueName, Queue>;
  redis: RedisClient;
  keyPrefix: string;
}

/** Reads one job's status, or throws NotFoundError (unknown queue, job, or not the viewer's). */
export async function getJobStatus(deps: StatusDeps, queueName: string, jobId: string, viewer: Viewer): Promise<JobStatus> {
  const queue = queueOf(deps.queues, queueName);
  const notFound = () => new NotFoundError(`There is no job '${jobId}' in queue '${queueName}'.`);
  // The state first: it is "unknown" for ids that are no job — including BullMQ's own key
  // names (`events`, `meta`, `id`), which getJob would otherwise try to read as a job.
  const rawState = await queue.getJobState(jobId);
  if (rawState === "unknown") {
    // A cancelled job is removed from BullMQ; its record says what it was.
    const cancelled = await readCancelled(deps, queueName as QueueName, jobId);
    if (cancelled && (viewer.admin || cancelled.ownerId === null || cancelled.ownerId === viewer.userId)) return cancelledStatus(cancelled);
    throw notFound();
  }
  const [job, logs, rescheduledFor] = await Promise.all([
    queue.getJob(jobId) as Promise<Job<EmailJobData> | undefined>,
    queue.getJobLogs(jobId),
    // Set when the job was rescheduled (rescheduleJob-5.lua); BullMQ's fields do not say it.
    deps.redis.hget(queue.toKey(jobId), "tgScheduledFor"),
  ]);
  if (!job || !canView(viewer, job)) throw notFound();
  const state = publicState(rawState, job.attemptsMade);
  if (!state) throw notFound();
  const attempts = decodeAttemptLogs(logs.logs);
  const scheduledFor = rescheduledFor ? new Date(Number(rescheduledFor)) : job.delay > 0 ? new Date(job.timestamp + job.delay) : undefined;
  const nonRetryable = state === "dead" ? diedNonRetryable(attempts, job.attemptsMade, job.opts.attempts ?? 1) : undefined;
  // Admins (and open mode) get the worker's words; everyone else the sentence for them.
  const detail = viewer.admin;
  const failedReason = !job.failedReason ? undefined : detail ? job.failedReason : publicFailedReason(job.failedReason, state, job.attemptsMade, nonRetryable ?? false);
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
    ...(failedReason ? { failedReason } : {}),
    ...(nonRetryable !== undefined ? { nonRetryable } : {}),
    ...(job.returnvalue !== null && job.returnvalue !== undefined ? { result: job.returnvalue } : {}),
    // Each attempt's error is the same worker text as failedReason, so it gets the same treatment.
    attempts: attempts.map((a) => ({ at: new Date(a.at), error: detail ? a.error : `${describeFailure(a.error)}.`, ...(a.responseCode !== undefined ? { responseCode: a.responseCode } : {}) })),
  };
}
