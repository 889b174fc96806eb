/**
 * What the OpenAPI document says about each procedure behind a REST alias that the router itself
 * cannot tell: a summary, and the zod schema of its success body (procedures declare no
 * `.output()`). Inputs and access levels are read from the router, so they cannot drift.
 */
import type { ZodType } from "zod";
import {
  blockedLogPage,
  blockedMetrics,
  deadJobDetail,
  deadJobRetryResult,
  deadJobsPage,
  deadJobsRetryAllResult,
  enqueueResult,
  healthStatus,
  jobStatus,
  queuesOverview,
  requestMetrics,
} from "@taskgate/shared";
import type { JsonSchema } from "./jsonSchema.js";

export interface OperationDoc {
  summary: string;
  description?: string;
  /** Groups operations on the docs page: `health`, `jobs`, `dead jobs` or `monitoring`. */
  tag: string;
  /** True for job creation: the Idempotency-Key header applies (409/422, `Idempotent-Replayed`). */
  idempotent?: boolean;
  /** Component name of the request body schema (body inputs only). */
  bodyName?: string;
  /**
   * JSON Schema keywords added to the generated body schema for rules the zod schema enforces in
   * a refinement, which `z.toJSONSchema` cannot see (e.g. `allOf: [{ anyOf: [{ required: … }] }]`).
   * None by default.
   */
  bodyRules?: JsonSchema;
  /** The success body: its component name and the schema it is generated from. None for 204. */
  output?: { name: string; schema: ZodType };
  /** Statuses other than the alias's own that also carry the success body, with what they mean (health's 503). */
  alsoStatuses?: Record<number, string>;
}

/** The email schemas' refinement "one of text or html is required", as JSON Schema. */
const TEXT_OR_HTML: JsonSchema = { anyOf: [{ required: ["text"] }, { required: ["html"] }] };
/** The schedule schema's refinement "exactly one of sendAt or delayMs", as JSON Schema. */
const SEND_AT_OR_DELAY: JsonSchema = { oneOf: [{ required: ["sendAt"] }, { required: ["delayMs"] }] };
// Inside `allOf` rather than beside `properties`: the same constraint, but openapi-typescript
// (7.x) types an object with a sibling anyOf/oneOf as `Body | unknown | unknown`, i.e. `unknown`,
// which would take every body type away from generated clients; under allOf it keeps `Body`.

const EMAIL_NOTES =
  "One of `text` or `html` is required. Headers the worker owns (From, To, Subject, Message-ID, …) may not be set in `headers`. " +
  "Send an `Idempotency-Key` to make retries safe: the SDK always does.";

/**
 * Docs per procedure path. Every procedure with a REST alias should have an entry (a test checks);
 * one without still gets an operation, named after its procedure and with an untyped success body.
 */
export const OPERATION_DOCS: Record<string, OperationDoc> = {
  "health.get": {
    tag: "health",
    summary: "Whether this API process can serve",
    description: "200 when Redis answers and the process is not draining, else 503 with the same body. Open: no API key needed.",
    output: { name: "HealthStatus", schema: healthStatus },
    alsoStatuses: { 503: "Not ready: Redis is not answering or the process is draining (same body, `status: \"unavailable\"`)" },
  },
  "jobs.email.create": {
    tag: "jobs",
    summary: "Enqueue an email",
    description: `Accepts the email for sending as soon as a worker is free: 202 with the job id and its status URL (also in \`Location\`). ${EMAIL_NOTES}`,
    idempotent: true,
    bodyName: "EmailJobInput",
    bodyRules: { allOf: [TEXT_OR_HTML] },
    output: { name: "EnqueueResult", schema: enqueueResult },
  },
  "jobs.email.schedule": {
    tag: "jobs",
    summary: "Schedule an email",
    description: `The same body plus exactly one of \`sendAt\` (ISO 8601 with a zone, in the future, at most 30 days ahead) or \`delayMs\`. 202 with \`state: "scheduled"\` and \`scheduledFor\`. ${EMAIL_NOTES}`,
    idempotent: true,
    bodyName: "ScheduleEmailJobInput",
    bodyRules: { allOf: [TEXT_OR_HTML, SEND_AT_OR_DELAY] },
    output: { name: "EnqueueResult", schema: enqueueResult },
  },
  "jobs.status": {
    tag: "jobs",
    summary: "A job's status",
    description: "Visible to the user who created the job and to admins; to anyone else it is a 404.",
    output: { name: "JobStatus", schema: jobStatus },
  },
  "deadJobs.list": {
    tag: "dead jobs",
    summary: "List dead email jobs",
    description: "Admin. Jobs that failed for good, newest first; page with `cursor` (the previous page's `nextCursor`).",
    output: { name: "DeadJobsPage", schema: deadJobsPage },
  },
  "deadJobs.get": {
    tag: "dead jobs",
    summary: "One dead email job",
    description: "Admin. The job as submitted and every failed attempt, with stack traces where kept.",
    output: { name: "DeadJobDetail", schema: deadJobDetail },
  },
  "deadJobs.retry": {
    tag: "dead jobs",
    summary: "Retry one dead email job",
    description: "Admin. Re-queues the job under the same id with fresh attempts; its attempt history is kept.",
    output: { name: "DeadJobRetryResult", schema: deadJobRetryResult },
  },
  "deadJobs.retryAll": {
    tag: "dead jobs",
    summary: "Retry dead email jobs",
    description: "Admin. Re-queues every dead job, or only `jobIds` (ids that are not dead are skipped).",
    bodyName: "DeadJobsRetryAllInput",
    output: { name: "DeadJobsRetryAllResult", schema: deadJobsRetryAllResult },
  },
  "deadJobs.delete": {
    tag: "dead jobs",
    summary: "Delete one dead email job",
    description: "Admin. Removes the job for good: 204.",
  },
  "monitoring.blocked": {
    tag: "monitoring",
    summary: "Blocked requests",
    description:
      "Admin. The capped log of requests the rate limiter denied, newest first. Times are ISO 8601 or epoch ms. Pages: pass the answer's `nextCursor` as `cursor` for older entries; `null` means none are left in range.",
    output: { name: "BlockedLogPage", schema: blockedLogPage },
  },
  "monitoring.queues": {
    tag: "monitoring",
    summary: "Queues overview",
    description: "Admin. Per queue: jobs by state, and completed/dead per minute over the last hour.",
    output: { name: "QueuesOverview", schema: queuesOverview },
  },
  "monitoring.requestMetrics": {
    tag: "monitoring",
    summary: "Request counters",
    description: "Admin. Requests per time bucket, by route and by exact status code (`202`, `429`). Times are ISO 8601 or epoch ms.",
    output: { name: "RequestMetrics", schema: requestMetrics },
  },
  "monitoring.blockedMetrics": {
    tag: "monitoring",
    summary: "Blocked-request counters",
    description: "Admin. Blocked requests per time bucket, by rule and by route. Times are ISO 8601 or epoch ms.",
    output: { name: "BlockedMetrics", schema: blockedMetrics },
  },
};
