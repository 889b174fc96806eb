/**
 * The dead-jobs search form as an API filter (`q`, `userId`, `since`, `until`), and that filter
 * in words for the confirmation of a bulk retry or delete. Pure, so unit-tested without a browser.
 */
import { formatDateTime } from "./policyFormat.js";

/** What the form's inputs hold, as typed: `since` / `until` are `datetime-local` values ("2026-03-01T10:00"). */
export interface DeadJobFilterForm {
  q: string;
  userId: string;
  since: string;
  until: string;
}

/** The filter `deadJobs.list`, `retryAll` and `deleteMany` take; times in epoch ms. Absent fields match everything. */
export interface DeadJobFilter {
  q?: string;
  userId?: string;
  since?: number;
  until?: number;
}

/** The API's bounds on the text fields (shared/src/schemas/deadJobs.ts), checked here so the form can say so. */
const MAX_Q_LENGTH = 200;
const MAX_USER_ID_LENGTH = 128;

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

/**
 * A `datetime-local` value as epoch ms in the browser's time zone, or undefined when it is not
 * one. Parsed by hand: `new Date("…T…")` without a zone is local in today's engines, but a
 * value like "2026-02-31T10:00" must be refused, not rolled over into March.
 */
export function parseLocalDateTime(value: string): number | undefined {
  const match = LOCAL_DATE_TIME.exec(value.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const at = new Date(year, month - 1, day, hour, minute, second);
  const same = at.getFullYear() === year && at.getMonth() === month - 1 && at.getDate() === day && at.getHours() === hour && at.getMinutes() === minute;
  return same ? at.getTime() : undefined;
}

/** The filter the form describes, or what is wrong with it, in words for the form. */
export function buildDeadJobFilter(form: DeadJobFilterForm): { filter: DeadJobFilter } | { error: string } {
  const filter: DeadJobFilter = {};
  const q = form.q.trim();
  const userId = form.userId.trim();
  if (q.length > MAX_Q_LENGTH) return { error: `The search text is longer than ${MAX_Q_LENGTH} characters.` };
  if (userId.length > MAX_USER_ID_LENGTH) return { error: `The owner is longer than ${MAX_USER_ID_LENGTH} characters.` };
  if (q !== "") filter.q = q;
  if (userId !== "") filter.userId = userId;
  for (const bound of ["since", "until"] as const) {
    const text = form[bound].trim();
    if (text === "") continue;
    const at = parseLocalDateTime(text);
    if (at === undefined) return { error: `"${text}" is not a date and time (${bound === "since" ? "Died since" : "Died until"}).` };
    filter[bound] = at;
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) return { error: "“Died since” is after “Died until”: nothing can match." };
  return { filter };
}

/** True when the filter matches every dead job. */
export function isEmptyFilter(filter: DeadJobFilter): boolean {
  return filter.q === undefined && filter.userId === undefined && filter.since === undefined && filter.until === undefined;
}

/**
 * The filter in words, to follow "3 dead jobs": `matching "alice@example.com", owned by user-a,
 * that died between 2026-03-01 10:00:00 and 2026-03-02 10:00:00`. Empty for an empty filter.
 */
export function describeDeadJobFilter(filter: DeadJobFilter): string {
  const parts: string[] = [];
  if (filter.q !== undefined) parts.push(`matching "${filter.q}"`);
  if (filter.userId !== undefined) parts.push(`owned by ${filter.userId}`);
  const since = filter.since === undefined ? undefined : formatDateTime(new Date(filter.since));
  const until = filter.until === undefined ? undefined : formatDateTime(new Date(filter.until));
  if (since !== undefined && until !== undefined) parts.push(`that died between ${since} and ${until}`);
  else if (since !== undefined) parts.push(`that died since ${since}`);
  else if (until !== undefined) parts.push(`that died by ${until}`);
  return parts.join(", ");
}

/** "1 dead job", "3 dead jobs". */
export function countDeadJobs(count: number): string {
  return `${count} dead job${count === 1 ? "" : "s"}`;
}
