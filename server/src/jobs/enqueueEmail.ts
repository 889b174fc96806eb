/**
 * Accepting an email job: a plain function the tRPC procedure (and so the REST alias) calls.
 */
import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import type { EmailJobData, EmailJobInput, EnqueueResult } from "@taskgate/shared";

/** What `enqueueEmail` needs. */
export interface EnqueueDeps {
  queue: Queue;
}

/** One accepted email. */
export interface EnqueueEmailRequest {
  email: EmailJobInput;
  requestId: string;
  ownerId: string | null;
  /** Job id derived from an idempotency record; a fresh UUID when absent. */
  jobId?: string | undefined;
  /** Delay before the job may run, in ms (scheduled mail). */
  delayMs?: number | undefined;
}

/** Path of a job's status, as `statusUrl` and `Location` give it. */
export function statusPath(queue: string, jobId: string): string {
  return `/jobs/status/${queue}/${encodeURIComponent(jobId)}`;
}

/**
 * Adds the job. With a derived job id, BullMQ returns the existing job instead of adding a
 * second one, which is what makes a retried request after a crash enqueue nothing twice.
 */
export async function enqueueEmail(deps: EnqueueDeps, request: EnqueueEmailRequest): Promise<EnqueueResult> {
  const data: EmailJobData = { email: request.email, requestId: request.requestId, ownerId: request.ownerId };
  const jobId = request.jobId ?? randomUUID();
  const delay = request.delayMs ?? 0;
  const job = await deps.queue.add("send", data, { jobId, ...(delay > 0 ? { delay } : {}) });
  const id = job.id ?? jobId;
  const scheduled = delay > 0;
  return {
    jobId: id,
    queue: "email",
    state: scheduled ? "scheduled" : "waiting",
    statusUrl: statusPath("email", id),
    ...(scheduled ? { scheduledFor: new Date(job.timestamp + (job.delay ?? delay)) } : {}),
  };
}
