/**
 * Queue names and job defaults. A queue per job domain; adding a domain adds a name here,
 * a schema in `schemas/`, a processor in the worker and a router entry in the server.
 */
export const QUEUE_NAMES = ["email"] as const;

/** A job domain's queue name. */
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Whether a string names a known queue. */
export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}

/** Largest `delayMs`/`sendAt` distance a scheduled job may have: 30 days, in ms. */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The BullMQ prefix for a key prefix. The `{…}` hash tag keeps every queue's keys in one
 * Redis Cluster slot, which BullMQ's multi-key scripts require.
 */
export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}:{jobs}`;
}
