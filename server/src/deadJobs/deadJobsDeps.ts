/**
 * What the dead-jobs functions need, and the lookup of a queue by the name a caller gave.
 */
import type { Queue } from "bullmq";
import { isQueueName } from "@taskgate/shared";
import { NotFoundError } from "../errors/appErrors.js";
import type { Queues } from "../jobs/queues.js";
import type { RedisClient } from "../redis/connect.js";

/** Dependencies of every dead-jobs function. */
export interface DeadJobsDeps {
  queues: Queues;
  /** The connection the queues use; reads of the failed set go through it. */
  redis: RedisClient;
}

/** The queue named `name`, or NotFoundError for a name no domain has. */
export function resolveQueue(deps: Pick<DeadJobsDeps, "queues">, name: string): Queue {
  if (!isQueueName(name)) throw new NotFoundError(`There is no queue named '${name}'.`);
  return deps.queues[name];
}

/** The 404 for a job that is not (or no longer) dead. */
export function notDead(queue: string, jobId: string): NotFoundError {
  return new NotFoundError(`There is no dead job '${jobId}' in queue '${queue}'.`);
}
