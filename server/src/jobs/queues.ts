/**
 * The API's BullMQ queues, one per job domain, with the job defaults every job inherits:
 * attempts, exponential backoff with jitter, and bounded retention.
 */
import { Queue, type DefaultJobOptions } from "bullmq";
import { bullPrefix, QUEUE_NAMES, type Config, type QueueName } from "@taskgate/shared";
import type { RedisClient } from "../redis/connect.js";

/** Every domain's queue, by name. */
export type Queues = Record<QueueName, Queue>;

/** Job options from the config (also used by the worker's tests). */
export function defaultJobOptions(config: Config): DefaultJobOptions {
  return {
    attempts: config.jobAttempts,
    backoff: { type: "exponential", delay: config.jobBackoffMs, jitter: 0.5 },
    removeOnComplete: { age: Math.ceil(config.jobKeepCompletedMs / 1000), count: config.jobKeepCompletedCount },
    removeOnFail: { age: Math.ceil(config.jobKeepDeadMs / 1000), count: config.jobKeepDeadCount },
  };
}

/** Opens the queues on a connection the caller owns. */
export function openQueues(config: Config, connection: RedisClient): Queues {
  const entries = QUEUE_NAMES.map((name) => [
    name,
    new Queue(name, { connection, prefix: bullPrefix(config.keyPrefix), defaultJobOptions: defaultJobOptions(config) }),
  ]);
  return Object.fromEntries(entries) as Queues;
}

/** Closes every queue (the connection stays the caller's to close). */
export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}
