/**
 * `jobs.*`: accepting work and reading a job's status. Each job domain adds a sub-router
 * (`jobs.email`) the same way.
 */
import { emailJobInput, jobStatusInput, scheduleEmailJobInput, type EnqueueResult } from "@taskgate/shared";
import type { ServerDeps } from "../../deps.js";
import { enqueueEmail } from "../../jobs/enqueueEmail.js";
import { getJobStatus } from "../../jobs/jobStatus.js";
import { router } from "../init.js";
import type { createProcedures } from "../procedures.js";

type Procedures = ReturnType<typeof createProcedures>;

export function jobsRouter(deps: ServerDeps, p: Procedures) {
  const queue = deps.queues.email;
  return router({
    email: router({
      create: p.idempotent(emailJobInput).mutation(async ({ ctx, input }): Promise<EnqueueResult> => {
        if (ctx.replay) return ctx.replay.output as EnqueueResult;
        return enqueueEmail({ queue }, { email: input, requestId: ctx.requestId, ownerId: ctx.caller?.userId ?? null, jobId: ctx.derivedJobId });
      }),
      schedule: p.idempotent(scheduleEmailJobInput).mutation(async ({ ctx, input }): Promise<EnqueueResult> => {
        if (ctx.replay) return ctx.replay.output as EnqueueResult;
        const { sendAt, delayMs, ...email } = input;
        const delay = sendAt ? Math.max(1, sendAt.getTime() - Date.now()) : Math.max(1, delayMs ?? 1);
        return enqueueEmail({ queue }, { email, requestId: ctx.requestId, ownerId: ctx.caller?.userId ?? null, jobId: ctx.derivedJobId, delayMs: delay });
      }),
    }),
    status: p.limited.input(jobStatusInput).query(({ ctx, input }) =>
      getJobStatus(deps.queues, input.queue, input.jobId, { userId: ctx.caller?.userId ?? null, admin: ctx.openMode || (ctx.caller?.admin ?? false) }),
    ),
  });
}
