/**
 * What the client's methods accept: the router's inputs (inferred from the shared zod schemas),
 * narrowed to what the server enforces but zod's inferred types do not say — refinements and REST
 * coercions are invisible to them. So a queue is one of QUEUE_NAMES, an email has `text` or `html`,
 * a schedule has exactly one of `sendAt` or `delayMs`, and a page size is a number (REST query
 * strings are text, so the server coerces; a TypeScript caller has no reason to send "10").
 * The server's validation is unchanged: an unknown queue still answers 404, a missing body 400.
 * `NarrowedInputs` says which procedure's method takes which (methods.ts); every other method
 * takes its router input as it is. methods.ts checks at compile time that each narrowed type is
 * assignable to its router input, so it can never accept what the router does not.
 */
import type { QueueName } from "@taskgate/shared";
import type { RouterInputs } from "./routerTypes.js";

export type { QueueName };

type In = RouterInputs;

/** `T` with `U`'s members in place of its own of the same names. */
type With<T, U> = Omit<T, keyof U> & U;

/** An email's body: `text`, `html` or both — the server refuses one with neither (400). */
export type EmailBody = { text: string; html?: string | undefined } | { html: string; text?: string | undefined };

/** Body of `jobs.email.create` (`POST /jobs/email`): the email's fields and at least one of `text` or `html`. */
export type EmailJobInput = Omit<In["jobs"]["email"]["create"], "text" | "html"> & EmailBody;

type ScheduleFields = In["jobs"]["email"]["schedule"];

/**
 * When a scheduled email goes: exactly one of `sendAt` (a `Date`, or an ISO 8601 date-time with a
 * zone; in the future, at most 30 days ahead) or `delayMs` (0 to 30 days). The other must be absent.
 */
export type ScheduleTime = { sendAt: NonNullable<ScheduleFields["sendAt"]>; delayMs?: never } | { delayMs: number; sendAt?: never };

/** Body of `jobs.email.schedule` (`POST /jobs/email/schedule`): the email plus exactly one of `sendAt` or `delayMs`. */
export type ScheduleEmailJobInput = Omit<ScheduleFields, "text" | "html" | "sendAt" | "delayMs"> & EmailBody & ScheduleTime;

/** Input of `jobs.status`: a queue name and a job id. */
export type JobStatusInput = With<In["jobs"]["status"], { queue: QueueName }>;

/** Input of `deadJobs.list`: `limit` 1–100 (default 20), `cursor` the previous page's `nextCursor`. */
export type DeadJobsListInput = With<In["deadJobs"]["list"], { queue: QueueName; limit?: number | undefined }>;

/** Input of `deadJobs.get`, `deadJobs.retry` and `deadJobs.delete`. */
export type DeadJobInput = With<In["deadJobs"]["get"], { queue: QueueName }>;

/** Input of `deadJobs.retryAll`: every dead job of the queue, or only `jobIds`. */
export type DeadJobsRetryAllInput = With<In["deadJobs"]["retryAll"], { queue: QueueName }>;

/**
 * Input of `monitoring.blocked`, every filter optional: `limit` 1–1000 (default 100); `since` and
 * `until` a `Date`, epoch ms or an ISO 8601 string. Omit it for the newest 100 entries.
 */
export type BlockedQueryInput = With<Exclude<In["monitoring"]["blocked"], void | undefined>, { limit?: number | undefined }> | undefined;

/** Input of `jobs.cancel`: a queue name and a job id. */
export type JobCancelInput = With<In["jobs"]["cancel"], { queue: QueueName }>;

/** Input of `deadJobs.deleteMany`: exactly one of `jobIds`, `filter` or `all: true`, and `dryRun` to count only. */
export type DeadJobsDeleteManyInput = With<In["deadJobs"]["deleteMany"], { queue: QueueName }>;

/** The procedures whose methods take a narrowed input, by path. */
export interface NarrowedInputs {
  "jobs.cancel": JobCancelInput;
  "deadJobs.deleteMany": DeadJobsDeleteManyInput;
  "jobs.email.create": EmailJobInput;
  "jobs.email.schedule": ScheduleEmailJobInput;
  "jobs.status": JobStatusInput;
  "deadJobs.list": DeadJobsListInput;
  "deadJobs.get": DeadJobInput;
  "deadJobs.retry": DeadJobInput;
  "deadJobs.retryAll": DeadJobsRetryAllInput;
  "deadJobs.delete": DeadJobInput;
  "monitoring.blocked": BlockedQueryInput;
}
