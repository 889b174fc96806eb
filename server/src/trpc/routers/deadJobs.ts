/**
 * `deadJobs.*` (admin only), for every job domain by queue name (an unknown queue is a 404):
 * list with a filter, show, retry one, retry many (ids, filter or all; dry run), delete one,
 * delete many (ids, filter or all; dry run). Thin: each procedure validates its input with the
 * shared schema and calls a plain function in `deadJobs/`; every write is an audit entry.
 * REST aliases and docs are declared in each procedure's meta.
 */
import {
  deadJobDetail,
  deadJobInput,
  deadJobRetryResult,
  deadJobsDeleteManyInput,
  deadJobsDeleteManyResult,
  deadJobsListInput,
  deadJobsPage,
  deadJobsRetryAllInput,
  deadJobsRetryAllResult,
} from "@taskgate/shared";
import { auditActor, type AuditRecord } from "../../audit/auditLog.js";
import { recordWrite } from "../../audit/recordWrite.js";
import type { ServerDeps } from "../../serverDeps.js";
import { deleteDeadJob, deleteDeadJobs, getDeadJob, listDeadJobs, retryAllDeadJobs, retryDeadJob, type DeadJobsDeps } from "../../deadJobs/index.js";
import { router } from "../init.js";
import type { Procedures } from "../procedures.js";

/** A dry run answers 200 (nothing was accepted for work), a real one 202. */
const dryRunStatus = (_output: unknown, input: unknown) => ((input as { dryRun?: unknown } | undefined)?.dryRun === true ? 200 : 202);

const FILTER_NOTES = "`q` matches, case-insensitively, a substring of a recipient, the subject, the job id or the failed reason; `userId` the job's owner; `since`/`until` bound when it died (ISO 8601 or epoch ms).";

export function deadJobsRouter(deps: ServerDeps, p: Procedures) {
  const dead: DeadJobsDeps = { queues: deps.queues, redis: deps.redis };
  /** Records a dead-job write that has happened, then answers its result. */
  async function audited<T>(caller: { userId: string } | null, entry: Omit<AuditRecord, "actor">, result: T): Promise<T> {
    await recordWrite(deps, { ...entry, actor: auditActor(caller) });
    return result;
  }
  return router({
    /** `GET /dead-jobs/:queue` (admin): dead jobs, newest first, filtered, paged with `cursor`. */
    list: p.admin
      .meta({
        rest: { method: "GET", path: "/dead-jobs/:queue", input: "query" },
        doc: {
          tag: "dead jobs",
          summary: "List dead jobs",
          description: `Admin. Jobs that failed for good, newest first; page with \`cursor\` (the previous page's \`nextCursor\`). ${FILTER_NOTES} A filtered page examines at most 200 dead jobs, so it may come back short (even empty) with a \`nextCursor\` to go on; \`total\` counts the queue's dead jobs, unfiltered.`,
          output: { name: "DeadJobsPage", schema: deadJobsPage },
        },
      })
      .input(deadJobsListInput)
      .query(({ input }) => {
        const { queue, limit, cursor, ...filter } = input;
        return listDeadJobs(dead, queue, { limit, cursor, filter });
      }),
    /** `GET /dead-jobs/:queue/:jobId` (admin): one dead job with its stack traces. */
    get: p.admin
      .meta({
        rest: { method: "GET", path: "/dead-jobs/:queue/:jobId" },
        doc: {
          tag: "dead jobs",
          summary: "One dead job",
          description: "Admin. The job as submitted and every failed attempt, with stack traces where kept.",
          output: { name: "DeadJobDetail", schema: deadJobDetail },
        },
      })
      .input(deadJobInput)
      .query(({ input }) => getDeadJob(dead, input.queue, input.jobId)),
    /** `POST /dead-jobs/:queue/:jobId/retry` (admin): re-queue one dead job with fresh attempts. */
    retry: p.admin
      .meta({
        rest: { method: "POST", path: "/dead-jobs/:queue/:jobId/retry", status: 202, location: true },
        doc: {
          tag: "dead jobs",
          summary: "Retry one dead job",
          description: "Admin. Re-queues the job under the same id with fresh attempts; its attempt history is kept.",
          output: { name: "DeadJobRetryResult", schema: deadJobRetryResult },
        },
      })
      .input(deadJobInput)
      .mutation(async ({ ctx, input }) => {
        const result = await retryDeadJob(dead, input.queue, input.jobId);
        return audited(ctx.caller, { action: "deadJobs.retry", target: `${input.queue}/${input.jobId}`, details: { queue: input.queue, jobId: input.jobId } }, result);
      }),
    /** `POST /dead-jobs/:queue/retry` (admin): re-queue all dead jobs, only `jobIds`, or those `filter` matches; `dryRun` counts. */
    retryAll: p.admin
      .meta({
        rest: { method: "POST", path: "/dead-jobs/:queue/retry", input: "body", status: dryRunStatus },
        doc: {
          tag: "dead jobs",
          summary: "Retry dead jobs",
          description: `Admin. Re-queues every dead job, only \`jobIds\` (ids that are not dead are skipped), or those \`filter\` matches: 202 \`{ matched, retried }\`. With \`dryRun: true\` nothing changes: 200 \`{ matched, retried: 0 }\`. ${FILTER_NOTES}`,
          bodyName: "DeadJobsRetryAllInput",
          output: { name: "DeadJobsRetryAllResult", schema: deadJobsRetryAllResult },
          alsoStatuses: { 200: "A dry run: what would be retried; nothing changed" },
        },
      })
      .input(deadJobsRetryAllInput)
      .mutation(async ({ ctx, input }) => {
        const result = await retryAllDeadJobs(dead, input.queue, { jobIds: input.jobIds, filter: input.filter, dryRun: input.dryRun });
        if (input.dryRun) return result;
        const selection = input.jobIds ? { jobIds: input.jobIds } : input.filter ? { filter: input.filter } : { all: true };
        return audited(ctx.caller, { action: "deadJobs.retryAll", target: input.queue, details: { queue: input.queue, ...selection, ...result } }, result);
      }),
    /** `POST /dead-jobs/:queue/delete` (admin): delete `jobIds`, those `filter` matches, or `all: true`; `dryRun` counts. */
    deleteMany: p.admin
      .meta({
        rest: { method: "POST", path: "/dead-jobs/:queue/delete", input: "body" },
        doc: {
          tag: "dead jobs",
          summary: "Delete dead jobs",
          description: `Admin. Deletes exactly one of: \`jobIds\`, those \`filter\` matches, or \`all: true\` — an empty body is a 400, deleting everything must be asked for. With \`dryRun: true\` nothing changes and \`matched\` says how many it would delete. ${FILTER_NOTES}`,
          bodyName: "DeadJobsDeleteManyInput",
          output: { name: "DeadJobsDeleteManyResult", schema: deadJobsDeleteManyResult },
        },
      })
      .input(deadJobsDeleteManyInput)
      .mutation(async ({ ctx, input }) => {
        const selection = input.jobIds ? { jobIds: input.jobIds } : input.filter ? { filter: input.filter } : { all: true as const };
        const result = await deleteDeadJobs(dead, input.queue, selection, { dryRun: input.dryRun });
        if (input.dryRun) return result;
        return audited(ctx.caller, { action: "deadJobs.deleteMany", target: input.queue, details: { queue: input.queue, ...selection, ...result } }, result);
      }),
    /** `DELETE /dead-jobs/:queue/:jobId` (admin): remove a dead job for good. */
    delete: p.admin
      .meta({
        rest: { method: "DELETE", path: "/dead-jobs/:queue/:jobId", status: 204 },
        doc: { tag: "dead jobs", summary: "Delete one dead job", description: "Admin. Removes the job for good: 204." },
      })
      .input(deadJobInput)
      .mutation(async ({ ctx, input }): Promise<void> => {
        await deleteDeadJob(dead, input.queue, input.jobId);
        await audited(ctx.caller, { action: "deadJobs.delete", target: `${input.queue}/${input.jobId}`, details: { queue: input.queue, jobId: input.jobId } }, undefined);
      }),
  });
}
