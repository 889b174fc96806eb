/**
 * Reads BullMQ's failed set (a sorted set scored by when each job died, epoch ms) newest first,
 * one page after a position. The dead-jobs list and retry-all both walk it this way.
 */
import type { Queue } from "bullmq";
import type { RedisClient } from "../redis/connect.js";
import type { FailedSetPosition } from "./cursor.js";

/** One page of the failed set and the set's size when it was read. */
export interface FailedSetPage {
  entries: FailedSetPosition[];
  total: number;
}

function pairs(flat: readonly string[]): FailedSetPosition[] {
  const entries: FailedSetPosition[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ jobId: flat[i]!, score: Number(flat[i + 1]) });
  return entries;
}

/** Redis orders equal scores by the members' bytes; so must we. */
function byteLess(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")) < 0;
}

/**
 * Up to `count` entries strictly older than `after` in newest-first order (score descending,
 * then id descending, as ZREVRANGEBYSCORE orders them), within `bounds` (died between `min` and
 * `max`, ms, both inclusive), and ZCARD, in one MULTI round trip.
 */
export async function readFailedPage(
  redis: RedisClient,
  queue: Queue,
  after: FailedSetPosition | undefined,
  count: number,
  bounds: { min?: number | undefined; max?: number | undefined } = {},
): Promise<FailedSetPage> {
  const key = queue.toKey("failed");
  const multi = redis.multi();
  // A cursor below the lower bound leaves nothing; one above the upper bound starts at the bound.
  const inRange = (score: number) => (bounds.min === undefined || score >= bounds.min) && (bounds.max === undefined || score <= bounds.max);
  const tiesInRange = after !== undefined && inRange(after.score);
  // Jobs that died in the same millisecond as the cursor's job and sort after it.
  if (after && tiesInRange) multi.zrevrangebyscore(key, after.score, after.score);
  const top = after ? (bounds.max !== undefined && bounds.max < after.score ? String(bounds.max) : `(${after.score}`) : bounds.max !== undefined ? String(bounds.max) : "+inf";
  multi.zrevrangebyscore(key, top, bounds.min !== undefined ? String(bounds.min) : "-inf", "WITHSCORES", "LIMIT", 0, count);
  multi.zcard(key);
  const replies = await multi.exec();
  if (!replies) throw new Error("the failed-set read was aborted");
  const values = replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  const ties = after && tiesInRange ? (values.shift() as string[]).filter((jobId) => byteLess(jobId, after.jobId)).map((jobId) => ({ jobId, score: after.score })) : [];
  const older = pairs(values[0] as string[]);
  return { entries: [...ties, ...older].slice(0, count), total: Number(values[1]) };
}

/**
 * Each id's failed-set score (when it died), or null when it is not dead. Checked before any
 * job hash is read: an id such as `events` or `wait` names one of BullMQ's own keys, and reading
 * that as a job fails with WRONGTYPE instead of answering "not found".
 */
export async function failedScores(redis: RedisClient, queue: Queue, jobIds: readonly string[]): Promise<Array<number | null>> {
  if (jobIds.length === 0) return [];
  const key = queue.toKey("failed");
  const pipeline = redis.pipeline();
  for (const jobId of jobIds) pipeline.zscore(key, jobId);
  const replies = (await pipeline.exec()) ?? [];
  return jobIds.map((_, index) => {
    const [error, value] = replies[index] ?? [new Error("no reply"), null];
    if (error) throw error;
    return value === null || value === undefined ? null : Number(value);
  });
}
