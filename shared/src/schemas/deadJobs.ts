/**
 * Dead jobs (README "Try it"): jobs that failed for good — attempts exhausted or a permanent error —
 * as admins list, inspect, retry and delete them. Inputs and outputs of the `deadJobs.*` procedures.
 */
import { z } from "zod";
import { jobAttempt, queueName } from "./jobs.js";

/** Queue named in a dead-jobs input; an unknown name is a 404, not a validation error. */
const queueInput = z.string().min(1).max(64);
/** A job id as the dead-jobs paths accept it (the same bound as `jobs.status`). */
const jobIdInput = z.string().min(1).max(200);

/** Default page size of `deadJobs.list` (20). */
export const DEAD_JOBS_DEFAULT_LIMIT = 20;
/** Largest page size of `deadJobs.list` (100). */
export const DEAD_JOBS_MAX_LIMIT = 100;
/** Most job ids one `deadJobs.retryAll` call may name (1000). */
export const DEAD_JOBS_MAX_RETRY_IDS = 1000;

/** Input of `deadJobs.list` (`GET /dead-jobs/email?limit=&cursor=`). */
export const deadJobsListInput = z.object({
  queue: queueInput,
  /** Page size, 1–100, default 20. Query strings arrive as text, hence the coercion. */
  limit: z.coerce.number<string | number>().int().min(1).max(DEAD_JOBS_MAX_LIMIT).default(DEAD_JOBS_DEFAULT_LIMIT),
  /** `nextCursor` of the previous page; absent for the first (newest) page. */
  cursor: z.string().min(1).max(300).optional(),
});
export type DeadJobsListInput = z.input<typeof deadJobsListInput>;

/** Input of `deadJobs.get`, `deadJobs.retry` and `deadJobs.delete`. */
export const deadJobInput = z.object({ queue: queueInput, jobId: jobIdInput });
export type DeadJobInput = z.infer<typeof deadJobInput>;

/** Input of `deadJobs.retryAll`: every dead job of the queue, or only `jobIds`. */
export const deadJobsRetryAllInput = z.object({
  queue: queueInput,
  /** Dead jobs to retry (1–1000); absent = all. Ids that are not dead are skipped. */
  jobIds: z.array(jobIdInput).min(1).max(DEAD_JOBS_MAX_RETRY_IDS).optional(),
});
export type DeadJobsRetryAllInput = z.infer<typeof deadJobsRetryAllInput>;

/** One failed attempt in a list entry: when, why, and the SMTP reply code if there was one. */
export const deadJobAttempt = jobAttempt.omit({ stack: true });

/** One dead job as the list shows it. `data` is the job as submitted, never interpreted. */
export const deadJobSummary = z.object({
  jobId: z.string(),
  data: z.unknown(),
  /** Why the job died, in words a person understands. */
  failedReason: z.string(),
  /** True when a permanent failure ended the job before its attempts ran out. */
  nonRetryable: z.boolean(),
  /** Attempts of the job's latest run (a retry starts again at 0). */
  attemptsMade: z.number(),
  /** Every failed attempt, oldest first, across runs (a retried job keeps its history). */
  attempts: z.array(deadJobAttempt),
  createdAt: z.date(),
  failedAt: z.date(),
});
export type DeadJobSummary = z.infer<typeof deadJobSummary>;

/** The answer of `deadJobs.list`: newest first. */
export const deadJobsPage = z.object({
  queue: queueName,
  /** Dead jobs in the queue right now. */
  total: z.number(),
  jobs: z.array(deadJobSummary),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type DeadJobsPage = z.infer<typeof deadJobsPage>;

/** The answer of `deadJobs.get`: one dead job, each attempt with its stack trace where kept. */
export const deadJobDetail = deadJobSummary.extend({
  queue: queueName,
  maxAttempts: z.number(),
  attempts: z.array(jobAttempt),
});
export type DeadJobDetail = z.infer<typeof deadJobDetail>;

/** The 202 answer of `deadJobs.retry`: the job is waiting again, under the same id. */
export const deadJobRetryResult = z.object({
  jobId: z.string(),
  queue: queueName,
  state: z.literal("waiting"),
  statusUrl: z.string(),
});
export type DeadJobRetryResult = z.infer<typeof deadJobRetryResult>;

/** The 202 answer of `deadJobs.retryAll`. */
export const deadJobsRetryAllResult = z.object({
  /** How many dead jobs went back to waiting. */
  retried: z.number(),
});
export type DeadJobsRetryAllResult = z.infer<typeof deadJobsRetryAllResult>;
