/**
 * `jobs.*`: accepting work and reading a job's status. Each job domain adds a sub-router
 * (`jobs.email`) the same way. REST aliases and docs are declared in each procedure's meta.
 */
import {
  emailJobInput,
  enqueueResult,
  jobCancelInput,
  jobCancelResult,
  jobRescheduleResult,
  jobStatus,
  jobStatusInput,
  rescheduleEmailJobInput,
  scheduleEmailJobInput,
  scheduleTimeIssues,
  type EnqueueResult,
} from "@taskgate/shared";
import { auditActor } from "../../audit/auditLog.js";
import { recordWrite } from "../../audit/recordWrite.js";
import { cancelJob } from "../../jobs/cancelJob.js";
import { rescheduleJob } from "../../jobs/rescheduleJob.js";
import type { Viewer } from "../../jobs/jobStatus.js";
import type { RequestContext } from "../../requestContext.js";
import type { ServerDeps } from "../../serverDeps.js";
import { enqueueEmail } from "../../jobs/enqueueEmail.js";
import { getJobStatus } from "../../jobs/jobStatus.js";
import { router } from "../init.js";
import type { JsonSchemaFragment } from "../meta.js";
import type { Procedures } from "../procedures.js";

/** The email schemas' refinement "one of text or html is required", as JSON Schema. */
const TEXT_OR_HTML: JsonSchemaFragment = { anyOf: [{ required: ["text"] }, { required: ["html"] }] };
/** The schedule schema's refinement "exactly one of sendAt or delayMs", as JSON Schema. */
const SEND_AT_OR_DELAY: JsonSchemaFragment = { oneOf: [{ required: ["sendAt"] }, { required: ["delayMs"] }] };
// Inside `allOf` rather than beside `properties`: the same constraint, but openapi-typescript
// (7.x) types an object with a sibling anyOf/oneOf as `Body | unknown | unknown`, i.e. `unknown`,
// which would take every body type away from generated clients; under allOf it keeps `Body`.

const EMAIL_NOTES =
  "One of `text` or `html` is required. Headers the worker owns (From, To, Subject, Message-ID, …) may not be set in `headers`. " +
  "Send an `Idempotency-Key` to make retries safe: the SDK always does.";

const ENQUEUE_RESULT = { name: "EnqueueResult", schema: enqueueResult };

/** Who asks: admins (and everyone in open mode) act on every job, a user on their own. */
function viewerOf(ctx: Pick<RequestContext, "caller" | "openMode">): Viewer {
  return { userId: ctx.caller?.userId ?? null, admin: ctx.openMode || (ctx.caller?.admin ?? false) };
}

export function jobsRouter(deps: ServerDeps, p: Procedures) {
  const queue = deps.queues.email;
  const statusDeps = { queues: deps.queues, redis: deps.redis, keyPrefix: deps.config.keyPrefix };
  const cancelDeps = { ...statusDeps, keepMs: deps.config.jobKeepCompletedMs };
  /** An admin's action on someone's job is an audit entry (a user's on their own is not). */
  async function auditedIfAdmin<T>(ctx: Pick<RequestContext, "caller" | "openMode">, action: string, target: string, details: Record<string, unknown>, result: T): Promise<T> {
    if (viewerOf(ctx).admin) {
      await recordWrite(deps, { actor: auditActor(ctx.caller), action, target, details });
    }
    return result;
  }
  return router({
    email: router({
      /** `POST /jobs/email`: enqueue an email. Always idempotent (see `CreateOptions.idempotencyKey`). */
      create: p.idempotentMutation(
        emailJobInput,
        {
          rest: { method: "POST", path: "/jobs/email", input: "body", status: 202, location: true },
          doc: {
            tag: "jobs",
            summary: "Enqueue an email",
            description: `Accepts the email for sending as soon as a worker is free: 202 with the job id and its status URL (also in \`Location\`). ${EMAIL_NOTES}`,
            bodyName: "EmailJobInput",
            bodyRules: { allOf: [TEXT_OR_HTML] },
            output: ENQUEUE_RESULT,
          },
        },
        ({ ctx, input }): Promise<EnqueueResult> =>
          enqueueEmail({ queue }, { email: input, requestId: ctx.requestId, ownerId: ctx.caller?.userId ?? null, jobId: ctx.derivedJobId }),
      ),
      /** `POST /jobs/email/schedule`: enqueue an email for later (`sendAt` or `delayMs`). Always idempotent. */
      schedule: p.idempotentMutation(
        scheduleEmailJobInput,
        {
          rest: { method: "POST", path: "/jobs/email/schedule", input: "body", status: 202, location: true },
          // After the Idempotency-Key: a retry after sendAt has passed gets its stored answer.
          checkFresh: (input) => scheduleTimeIssues(input as { sendAt?: Date }, Date.now()),
          doc: {
            tag: "jobs",
            summary: "Schedule an email",
            description: `The same body plus exactly one of \`sendAt\` (ISO 8601 with a zone, in the future, at most 30 days ahead) or \`delayMs\`. 202 with \`state: "scheduled"\` and \`scheduledFor\`. ${EMAIL_NOTES}`,
            bodyName: "ScheduleEmailJobInput",
            bodyRules: { allOf: [TEXT_OR_HTML, SEND_AT_OR_DELAY] },
            output: ENQUEUE_RESULT,
          },
        },
        ({ ctx, input }): Promise<EnqueueResult> => {
          const { sendAt, delayMs, ...email } = input;
          const delay = sendAt ? Math.max(1, sendAt.getTime() - Date.now()) : Math.max(1, delayMs ?? 1);
          return enqueueEmail({ queue }, { email, requestId: ctx.requestId, ownerId: ctx.caller?.userId ?? null, jobId: ctx.derivedJobId, delayMs: delay });
        },
      ),
      /** `POST /jobs/email/:jobId/reschedule`: move a waiting or scheduled mail to a new time (its owner or an admin). */
      reschedule: p.limited
        .meta({
          rest: { method: "POST", path: "/jobs/email/:jobId/reschedule", input: "body" },
          doc: {
            tag: "jobs",
            summary: "Reschedule an email",
            description:
              "The job's owner or an admin. Exactly one of `sendAt` (ISO 8601 with a zone, in the future, at most 30 days ahead) or `delayMs`. The mail goes out at the new time and never at the old one. Only while the job is waiting or scheduled; otherwise 409 JOB_NOT_PENDING with its `state`.",
            bodyName: "RescheduleEmailJobInput",
            bodyRules: { allOf: [SEND_AT_OR_DELAY] },
            output: { name: "JobRescheduleResult", schema: jobRescheduleResult },
            errors: ["JOB_NOT_PENDING"],
          },
        })
        .input(rescheduleEmailJobInput)
        .mutation(async ({ ctx, input }) => {
          const at = input.sendAt ? input.sendAt.getTime() : Date.now() + (input.delayMs ?? 0);
          const result = await rescheduleJob({ queues: deps.queues, redis: deps.redis, keyPrefix: deps.config.keyPrefix }, "email", input.jobId, at, viewerOf(ctx));
          return auditedIfAdmin(ctx, "jobs.reschedule", `email/${input.jobId}`, { queue: "email", jobId: input.jobId, scheduledFor: result.scheduledFor.toISOString() }, result);
        }),
    }),
    /** `DELETE /jobs/:queue/:jobId`: cancel a job that has not started (its owner or an admin). */
    cancel: p.limited
      .meta({
        rest: { method: "DELETE", path: "/jobs/:queue/:jobId" },
        doc: {
          tag: "jobs",
          summary: "Cancel a job",
          description:
            "The job's owner or an admin. A waiting or scheduled job is removed and never runs; its status reads `cancelled`. Again on a cancelled job: the same 200. A job that started, is retrying, finished or died: 409 JOB_NOT_PENDING with its `state`. A cancel racing a worker has one winner: 200 and nothing is sent, or 409.",
          output: { name: "JobCancelResult", schema: jobCancelResult },
          errors: ["JOB_NOT_PENDING"],
        },
      })
      .input(jobCancelInput)
      .mutation(async ({ ctx, input }) => {
        const result = await cancelJob(cancelDeps, input.queue, input.jobId, viewerOf(ctx));
        return auditedIfAdmin(ctx, "jobs.cancel", `${input.queue}/${input.jobId}`, { queue: input.queue, jobId: input.jobId }, result);
      }),
    /** `GET /jobs/status/:queue/:jobId`: a job's state, attempts and timestamps. */
    status: p.limited
      .meta({
        rest: { method: "GET", path: "/jobs/status/:queue/:jobId" },
        doc: {
          tag: "jobs",
          summary: "A job's status",
          description: "Visible to the user who created the job and to admins; to anyone else it is a 404.",
          output: { name: "JobStatus", schema: jobStatus },
        },
      })
      .input(jobStatusInput)
      .query(({ ctx, input }) =>
        getJobStatus(statusDeps, input.queue, input.jobId, viewerOf(ctx)),
      ),
  });
}
