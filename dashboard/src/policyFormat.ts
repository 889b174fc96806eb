/**
 * Formatting for the policy and audit panels: dates, routes, shadow-hit sums, details summaries.
 * Pure, so unit-tested without a browser.
 */

/** Local date and time to the second, e.g. "2026-01-10 14:03:27": audit entries and expiries can be days away. */
export function formatDateTime(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** When an override stops applying: "never", or its local date and time. */
export function formatExpiry(expiresAt: Date | null): string {
  return expiresAt === null ? "never" : formatDateTime(expiresAt);
}

/** A rule's routes or tiers for a table cell; absent means the rule applies to all of them. */
export function formatList(items: readonly string[] | undefined, all = "all"): string {
  return items === undefined || items.length === 0 ? all : items.join(", ");
}

/**
 * Shadow hits per rule, summed over the buckets of a `blockedMetrics` answer (the panel asks
 * for the last hour in minutes). Rules without hits are absent.
 */
export function sumShadowHits(series: ReadonlyArray<{ shadowByRule: Readonly<Record<string, number>> }>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const bucket of series) for (const [rule, count] of Object.entries(bucket.shadowByRule)) sums[rule] = (sums[rule] ?? 0) + count;
  return sums;
}

/** Longest details summary in the audit table, in characters (the full JSON goes in the cell's title). */
export const DETAILS_SUMMARY_CHARS = 160;

/**
 * An audit entry's details as one line of JSON, cut to `max` characters with "…". For text
 * nodes only: the details are admin input (a reason, rule names) and must never become markup.
 */
export function summarizeDetails(details: Readonly<Record<string, unknown>>, max = DETAILS_SUMMARY_CHARS): string {
  const json = safeJson(details);
  if (json === "{}") return "";
  return json.length <= max ? json : `${json.slice(0, Math.max(0, max - 1))}…`;
}

/** JSON of anything read from the API, never throwing (a BigInt or a cycle would make JSON.stringify throw). */
export function safeJson(value: unknown, indent?: number): string {
  try {
    return JSON.stringify(value, null, indent) ?? String(value);
  } catch {
    return String(value);
  }
}
