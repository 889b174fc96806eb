/**
 * `deadJobs.*` (admin only): list, show, retry one, retry all, delete. Thin: each procedure
 * validates its input with the shared schema and calls a plain function in `deadJobs/`.
 */
import { deadJobInput, deadJobsListInput, deadJobsRetryAllInput } from "@taskgate/shared";
import type { ServerDeps } from "../../deps.js";
import { deleteDeadJob, getDeadJob, listDeadJobs, retryAllDeadJobs, retryDeadJob, type DeadJobsDeps } from "../../deadJobs/index.js";
import { AppError } from "../../errors/appErrors.js";
import { toTRPCError } from "../../errors/problem.js";
import { router } from "../init.js";
import type { createProcedures } from "../procedures.js";

type Procedures = ReturnType<typeof createProcedures>;

/** Domain errors (404, a bad cursor) become their tRPC error here, not an internal error that gets logged. */
async function mapped<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw error instanceof AppError ? toTRPCError(error) : error;
  }
}

export function deadJobsRouter(deps: ServerDeps, p: Procedures) {
  const dead: DeadJobsDeps = { queues: deps.queues, redis: deps.redis };
  const admin = p.limited.meta({ access: "admin" });
  return router({
    list: admin.input(deadJobsListInput).query(({ input }) => mapped(listDeadJobs(dead, input.queue, { limit: input.limit, cursor: input.cursor }))),
    get: admin.input(deadJobInput).query(({ input }) => mapped(getDeadJob(dead, input.queue, input.jobId))),
    retry: admin.input(deadJobInput).mutation(({ input }) => mapped(retryDeadJob(dead, input.queue, input.jobId))),
    retryAll: admin.input(deadJobsRetryAllInput).mutation(({ input }) => mapped(retryAllDeadJobs(dead, input.queue, { jobIds: input.jobIds }))),
    delete: admin.input(deadJobInput).mutation(async ({ input }): Promise<void> => {
      await mapped(deleteDeadJob(dead, input.queue, input.jobId));
    }),
  });
}
