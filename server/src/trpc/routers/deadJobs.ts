/**
 * `deadJobs.*` (admin only): list, show, retry one, retry all, delete. Thin: each procedure
 * validates its input with the shared schema and calls a plain function in `deadJobs/`.
 * REST aliases and docs are declared in each procedure's meta.
 */
import { deadJobDetail, deadJobInput, deadJobRetryResult, deadJobsListInput, deadJobsPage, deadJobsRetryAllInput, deadJobsRetryAllResult } from "@taskgate/shared";
import type { ServerDeps } from "../../serverDeps.js";
import { deleteDeadJob, getDeadJob, listDeadJobs, retryAllDeadJobs, retryDeadJob, type DeadJobsDeps } from "../../deadJobs/index.js";
import { AppError } from "../../errors/appErrors.js";
import { toTRPCError } from "../../errors/problem.js";
import { router } from "../init.js";
import type { Procedures } from "../procedures.js";

/** Domain errors (404, a bad cursor) become their tRPC error here, not an internal error that gets logged. */
async function mapped<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw error instanceof AppError ? toTRPCError(error) : error;
  }
}

/** The only queue today; the generic `/dead-jobs/:queue` paths come with more queues. */
const EMAIL = { queue: "email" };

export function deadJobsRouter(deps: ServerDeps, p: Procedures) {
  const dead: DeadJobsDeps = { queues: deps.queues, redis: deps.redis };
  return router({
    /** `GET /dead-jobs/email` (admin): dead jobs, newest first, paged with `cursor`. */
    list: p.admin
      .meta({
        rest: { method: "GET", path: "/dead-jobs/email", input: "query", fixedInput: EMAIL },
        doc: {
          tag: "dead jobs",
          summary: "List dead email jobs",
          description: "Admin. Jobs that failed for good, newest first; page with `cursor` (the previous page's `nextCursor`).",
          output: { name: "DeadJobsPage", schema: deadJobsPage },
        },
      })
      .input(deadJobsListInput)
      .query(({ input }) => mapped(listDeadJobs(dead, input.queue, { limit: input.limit, cursor: input.cursor }))),
    /** `GET /dead-jobs/email/:jobId` (admin): one dead job with its stack traces. */
    get: p.admin
      .meta({
        rest: { method: "GET", path: "/dead-jobs/email/:jobId", fixedInput: EMAIL },
        doc: {
          tag: "dead jobs",
          summary: "One dead email job",
          description: "Admin. The job as submitted and every failed attempt, with stack traces where kept.",
          output: { name: "DeadJobDetail", schema: deadJobDetail },
        },
      })
      .input(deadJobInput)
      .query(({ input }) => mapped(getDeadJob(dead, input.queue, input.jobId))),
    /** `POST /dead-jobs/email/:jobId/retry` (admin): re-queue one dead job with fresh attempts. */
    retry: p.admin
      .meta({
        rest: { method: "POST", path: "/dead-jobs/email/:jobId/retry", fixedInput: EMAIL, status: 202, location: true },
        doc: {
          tag: "dead jobs",
          summary: "Retry one dead email job",
          description: "Admin. Re-queues the job under the same id with fresh attempts; its attempt history is kept.",
          output: { name: "DeadJobRetryResult", schema: deadJobRetryResult },
        },
      })
      .input(deadJobInput)
      .mutation(({ input }) => mapped(retryDeadJob(dead, input.queue, input.jobId))),
    /** `POST /dead-jobs/email/retry` (admin): re-queue all dead jobs, or only `jobIds`. */
    retryAll: p.admin
      .meta({
        rest: { method: "POST", path: "/dead-jobs/email/retry", input: "body", fixedInput: EMAIL, status: 202 },
        doc: {
          tag: "dead jobs",
          summary: "Retry dead email jobs",
          description: "Admin. Re-queues every dead job, or only `jobIds` (ids that are not dead are skipped).",
          bodyName: "DeadJobsRetryAllInput",
          output: { name: "DeadJobsRetryAllResult", schema: deadJobsRetryAllResult },
        },
      })
      .input(deadJobsRetryAllInput)
      .mutation(({ input }) => mapped(retryAllDeadJobs(dead, input.queue, { jobIds: input.jobIds }))),
    /** `DELETE /dead-jobs/email/:jobId` (admin): remove a dead job for good. */
    delete: p.admin
      .meta({
        rest: { method: "DELETE", path: "/dead-jobs/email/:jobId", fixedInput: EMAIL, status: 204 },
        doc: { tag: "dead jobs", summary: "Delete one dead email job", description: "Admin. Removes the job for good: 204." },
      })
      .input(deadJobInput)
      .mutation(async ({ input }): Promise<void> => {
        await mapped(deleteDeadJob(dead, input.queue, input.jobId));
      }),
  });
}
