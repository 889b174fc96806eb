/**
 * Job-level public shapes shared by every domain: the answer to an enqueue and a job's status.
 */
import { z } from "zod";
import { QUEUE_NAMES } from "../queues.js";

/** A job's state as the API reports it (BullMQ's states, named for people). */
export const JOB_STATES = ["waiting", "scheduled", "active", "retrying", "completed", "dead", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];

export const queueName = z.enum(QUEUE_NAMES);

/** BullMQ-safe job id as the API accepts it (no `:`; bounded). */
export const jobId = z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, { error: "is not a job id" });

/** The 202 answer to creating or scheduling a job. */
export const enqueueResult = z.object({
  jobId: z.string(),
  queue: queueName,
  state: z.enum(["waiting", "scheduled"]),
  statusUrl: z.string(),
  scheduledFor: z.date().optional(),
});
export type EnqueueResult = z.infer<typeof enqueueResult>;

/** Input of `jobs.status`. */
export const jobStatusInput = z.object({ queue: z.string().min(1).max(64), jobId: z.string().min(1).max(200) });
export type JobStatusInput = z.infer<typeof jobStatusInput>;

/** One attempt of a job: when it ended and how. */
export const jobAttempt = z.object({
  at: z.date(),
  error: z.string(),
  /** SMTP reply code where the failure came from an SMTP server. */
  responseCode: z.number().optional(),
  stack: z.string().optional(),
});
export type JobAttempt = z.infer<typeof jobAttempt>;

/** The answer of `GET /jobs/status/:queue/:jobId`. */
export const jobStatus = z.object({
  jobId: z.string(),
  queue: queueName,
  state: z.enum(JOB_STATES),
  attemptsMade: z.number(),
  maxAttempts: z.number(),
  createdAt: z.date(),
  scheduledFor: z.date().optional(),
  startedAt: z.date().optional(),
  finishedAt: z.date().optional(),
  /** When it was cancelled (state `cancelled`). */
  cancelledAt: z.date().optional(),
  failedReason: z.string().optional(),
  nonRetryable: z.boolean().optional(),
  result: z.unknown().optional(),
  attempts: z.array(jobAttempt.omit({ stack: true })).optional(),
});
export type JobStatus = z.infer<typeof jobStatus>;

/** Input of `jobs.cancel` (`DELETE /jobs/:queue/:jobId`). */
export const jobCancelInput = jobStatusInput;
export type JobCancelInput = z.infer<typeof jobCancelInput>;

/** The answer of `jobs.cancel`: the job will never run. */
export const jobCancelResult = z.object({
  jobId: z.string(),
  queue: queueName,
  state: z.literal("cancelled"),
  cancelledAt: z.date(),
});
export type JobCancelResult = z.infer<typeof jobCancelResult>;

/** The answer of `jobs.email.reschedule`: the job runs at `scheduledFor` and not before. */
export const jobRescheduleResult = z.object({
  jobId: z.string(),
  queue: queueName,
  state: z.literal("scheduled"),
  scheduledFor: z.date(),
  statusUrl: z.string(),
});
export type JobRescheduleResult = z.infer<typeof jobRescheduleResult>;

/** The answer of `GET /health`. */
export const healthStatus = z.object({
  status: z.enum(["ok", "unavailable"]),
  /**
   * `up`: answers and accepts writes. `down`: does not answer. `refusing-writes`: answers but
   * refuses writes (full under `noeviction`, a read-only replica, loading, …).
   */
  redis: z.enum(["up", "down", "refusing-writes"]),
  draining: z.boolean(),
  uptimeMs: z.number(),
  /** Why the status is `unavailable`, in fixed words (never a driver message). */
  reason: z.string().optional(),
});
export type HealthStatus = z.infer<typeof healthStatus>;
