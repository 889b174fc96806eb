/**
 * What is left of a cancelled job: BullMQ's job is removed (so no worker can ever take it),
 * and a small hash keeps what its status shows — owner, times, attempts — for as long as a
 * completed job is kept (JOB_KEEP_COMPLETED_MS).
 */
import { redisKeys, type JobStatus, type QueueName } from "@taskgate/shared";
import type { RedisClient } from "../redis/connect.js";

/** A cancelled job's record. */
export interface CancelledJob {
  jobId: string;
  queue: QueueName;
  ownerId: string | null;
  createdAt: number;
  cancelledAt: number;
  maxAttempts: number;
  scheduledFor: number | null;
}

/** Where cancelled jobs are recorded, and for how long. */
export interface CancelledJobsDeps {
  redis: RedisClient;
  /** `KEY_PREFIX`. */
  keyPrefix: string;
  /** How long a record is kept, in ms (`JOB_KEEP_COMPLETED_MS`). */
  keepMs: number;
}

export async function recordCancelled(deps: CancelledJobsDeps, job: CancelledJob): Promise<void> {
  const key = redisKeys(deps.keyPrefix).cancelledJob(job.queue, job.jobId);
  const fields = ["ownerId", job.ownerId ?? "", "createdAt", job.createdAt, "cancelledAt", job.cancelledAt, "maxAttempts", job.maxAttempts, "scheduledFor", job.scheduledFor ?? ""];
  await deps.redis.multi().hset(key, ...fields).pexpire(key, Math.max(1, deps.keepMs)).exec();
}

export async function readCancelled(deps: Pick<CancelledJobsDeps, "redis" | "keyPrefix">, queue: QueueName, jobId: string): Promise<CancelledJob | undefined> {
  const fields = await deps.redis.hgetall(redisKeys(deps.keyPrefix).cancelledJob(queue, jobId));
  if (fields.cancelledAt === undefined) return undefined;
  return {
    jobId,
    queue,
    ownerId: fields.ownerId || null,
    createdAt: Number(fields.createdAt),
    cancelledAt: Number(fields.cancelledAt),
    maxAttempts: Number(fields.maxAttempts),
    scheduledFor: fields.scheduledFor ? Number(fields.scheduledFor) : null,
  };
}

/** A cancelled job's status. */
export function cancelledStatus(job: CancelledJob): JobStatus {
  return {
    jobId: job.jobId,
    queue: job.queue,
    state: "cancelled",
    attemptsMade: 0,
    maxAttempts: job.maxAttempts,
    createdAt: new Date(job.createdAt),
    ...(job.scheduledFor !== null ? { scheduledFor: new Date(job.scheduledFor) } : {}),
    cancelledAt: new Date(job.cancelledAt),
    attempts: [],
  };
}
