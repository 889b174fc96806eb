/**
 * Dead jobs (README "Try it"): jobs that failed for good — attempts exhausted or a permanent error —
 * as admins list, inspect, retry and delete them. Inputs and outputs of the `deadJobs.*` procedures.
 */
import { z } from "zod";
import { jobAttempt, queueName } from "./jobs.js";
import { timeInput } from "./monitoring.js";

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

/** Dead jobs one filtered page examines at most (200): a rare filter answers a short page and a cursor, never a long scan. */
export const DEAD_JOBS_SCAN_BUDGET = 200;

/** Which dead jobs: every field optional, all combined with AND. */
export const deadJobsFilter = z
  .object({
    /** Case-insensitive substring of a recipient (to, cc, bcc), the subject, the job id or the failed reason. */
    q: z.string().min(1).max(200).optional(),
    /** The job's owner (the user whose key created it). */
    userId: z.string().min(1).max(128).optional(),
    /** Died at or after (ISO 8601 or epoch ms). */
    since: timeInput.optional(),
    /** Died at or before (ISO 8601 or epoch ms). */
    until: timeInput.optional(),
  })
  .strict();
export type DeadJobsFilter = z.input<typeof deadJobsFilter>;

/** Input of `deadJobs.list` (`GET /dead-jobs/:queue?limit=&cursor=&q=&userId=&since=&until=`). */
export const deadJobsListInput = deadJobsFilter.extend({
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

const notBoth = (value: { jobIds?: unknown; filter?: unknown }, ctx: z.RefinementCtx) => {
  if (value.jobIds !== undefined && value.filter !== undefined) ctx.addIssue({ code: "custom", path: ["filter"], message: "give jobIds or filter, not both" });
};

/** Input of `deadJobs.retryAll`: every dead job of the queue, only `jobIds`, or those `filter` matches. */
export const deadJobsRetryAllInput = z
  .object({
    queue: queueInput,
    /** Dead jobs to retry (1–1000); ids that are not dead are skipped. */
    jobIds: z.array(jobIdInput).min(1).max(DEAD_JOBS_MAX_RETRY_IDS).optional(),
    /** Only the dead jobs this filter matches. */
    filter: deadJobsFilter.optional(),
    /** Count what would be retried and change nothing (200 instead of 202). */
    dryRun: z.boolean().optional(),
  })
  .strict()
  .superRefine(notBoth);
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

/** The answer of `deadJobs.retryAll` (202; 200 for a dry run). */
export const deadJobsRetryAllResult = z.object({
  /** How many dead jobs the call named or matched. */
  matched: z.number(),
  /** How many went back to waiting (0 on a dry run). */
  retried: z.number(),
});

/** Input of `deadJobs.deleteMany` (`POST /dead-jobs/:queue/delete`): exactly one of `jobIds`, `filter` or `all: true`. */
export const deadJobsDeleteManyInput = z
  .object({
    queue: queueInput,
    jobIds: z.array(jobIdInput).min(1).max(DEAD_JOBS_MAX_RETRY_IDS).optional(),
    filter: deadJobsFilter.optional(),
    /** Every dead job of the queue: deleting everything must be asked for by name. */
    all: z.literal(true).optional(),
    /** Count what would be deleted and change nothing. */
    dryRun: z.boolean().optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const given = [value.jobIds, value.filter, value.all].filter((part) => part !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: "custom", path: [], message: "give exactly one of jobIds, filter or all: true (an empty body deletes nothing)" });
    // An empty filter matches every dead job: that is `all: true`, which must be asked for by name.
    else if (value.filter !== undefined && Object.values(value.filter).every((field) => field === undefined)) {
      ctx.addIssue({ code: "custom", path: ["filter"], message: "an empty filter matches every dead job; give at least one of q, userId, since, until, or all: true" });
    }
  });
export type DeadJobsDeleteManyInput = z.input<typeof deadJobsDeleteManyInput>;

/** The answer of `deadJobs.deleteMany`. */
export const deadJobsDeleteManyResult = z.object({
  matched: z.number(),
  /** 0 on a dry run. */
  deleted: z.number(),
});
export type DeadJobsDeleteManyResult = z.infer<typeof deadJobsDeleteManyResult>;
export type DeadJobsRetryAllResult = z.infer<typeof deadJobsRetryAllResult>;
