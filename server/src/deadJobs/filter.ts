/**
 * Finding dead jobs by a filter (`q`, `userId`, `since`, `until`) with bounded work: the time
 * bounds narrow the failed-set read itself (it is scored by when each job died), and each page
 * examines at most DEAD_JOBS_SCAN_BUDGET jobs with one pipelined HMGET of their data and
 * reason, so a rare filter answers a short page and a cursor rather than walking 100 000 jobs.
 */
import type { Queue } from "bullmq";
import type { EmailJobData } from "@taskgate/shared";
import type { RedisClient } from "../redis/connect.js";
import type { FailedSetPosition } from "./cursor.js";
import { readFailedPage } from "./failedSet.js";

/** A parsed filter (times in ms since the epoch). */
export interface DeadJobFilter {
  q?: string | undefined;
  userId?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
}

/** Whether a filter narrows beyond the time bounds (then each job's fields must be read). */
export function readsFields(filter: DeadJobFilter): boolean {
  return filter.q !== undefined || filter.userId !== undefined;
}

/** Whether a filter is empty (every dead job matches). */
export function isEmptyFilter(filter: DeadJobFilter): boolean {
  return !readsFields(filter) && filter.since === undefined && filter.until === undefined;
}

/** What the filter reads of a job: its data and why it died. */
export interface FilterFields {
  jobId: string;
  data: Partial<EmailJobData> | undefined;
  failedReason: string;
}

function addresses(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Whether a job matches the field part of a filter (`q` and `userId`; the time bounds are the read's). */
export function matchesFields(job: FilterFields, filter: DeadJobFilter): boolean {
  if (filter.userId !== undefined && job.data?.ownerId !== filter.userId) return false;
  if (filter.q === undefined) return true;
  const needle = filter.q.toLowerCase();
  const email = job.data?.email;
  const haystack = [job.jobId, job.failedReason, typeof email?.subject === "string" ? email.subject : "", ...addresses(email?.to), ...addresses(email?.cc), ...addresses(email?.bcc)];
  return haystack.some((text) => text.toLowerCase().includes(needle));
}

/** One bounded step of a filtered walk. */
export interface FilteredScan {
  /** Matching positions, newest first, at most `wanted`. */
  matches: FailedSetPosition[];
  /** Where to go on from (the last position examined); undefined when nothing is left in range. */
  next: FailedSetPosition | undefined;
  /** The failed set's size when read. */
  total: number;
}

/**
 * Examines at most `budget` dead jobs after `after` within the filter's time bounds and returns
 * up to `wanted` matches. Cost: one MULTI read of the failed set, plus one pipelined HMGET per
 * examined job when the filter has `q` or `userId` (none otherwise).
 */
export async function scanFiltered(redis: RedisClient, queue: Queue, filter: DeadJobFilter, after: FailedSetPosition | undefined, wanted: number, budget: number): Promise<FilteredScan> {
  const examine = readsFields(filter) ? budget : Math.min(budget, wanted);
  // One extra entry tells whether anything is left after this step.
  const page = await readFailedPage(redis, queue, after, examine + 1, { min: filter.since, max: filter.until });
  const entries = page.entries.slice(0, examine);
  const left = page.entries.length > examine;
  if (!readsFields(filter)) {
    const matches = entries.slice(0, wanted);
    return { matches, next: left || entries.length > wanted ? matches.at(-1) : undefined, total: page.total };
  }
  const pipeline = redis.pipeline();
  for (const entry of entries) pipeline.hmget(queue.toKey(entry.jobId), "data", "failedReason");
  const replies = (await pipeline.exec()) ?? [];
  const matches: FailedSetPosition[] = [];
  let lastExamined: FailedSetPosition | undefined;
  for (const [index, entry] of entries.entries()) {
    lastExamined = entry;
    const [error, value] = replies[index] ?? [null, null];
    if (error) throw error;
    const [data, failedReason] = (value as [string | null, string | null] | null) ?? [null, null];
    if (data === null) continue; // removed meanwhile (retried, deleted, trimmed)
    let parsed: Partial<EmailJobData> | undefined;
    try {
      parsed = JSON.parse(data) as Partial<EmailJobData>;
    } catch {
      parsed = undefined;
    }
    if (matchesFields({ jobId: entry.jobId, data: parsed, failedReason: failedReason ?? "" }, filter)) matches.push(entry);
    if (matches.length === wanted) break;
  }
  const stoppedEarly = lastExamined !== entries.at(-1);
  return { matches, next: left || stoppedEarly ? lastExamined : undefined, total: page.total };
}
