/**
 * `jobs.*`: accepting work and reading a job's status. Each job domain adds a sub-router
 * (`jobs.email`) the same way. REST aliases and docs are declared in each procedure's meta.
 */
import { emailJobInput, enqueueResult, jobStatus, jobStatusInput, scheduleEmailJobInput, type EnqueueResult } from "@taskgate/shared";
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

export function jobsRouter(deps: ServerDeps, p: Procedures) {
  const queue = deps.queues.email;
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
        getJobStatus(deps.queues, input.queue, input.jobId, { userId: ctx.caller?.userId ?? null, admin: ctx.openMode || (ctx.caller?.admin ?? false) }),
      ),
  });
}
