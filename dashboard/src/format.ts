/** Formatting of times, ages and durations for the tables. Pure, so unit-tested without a browser. */

/** "12 s", "5 min", "3 h", "2 d": the age of `at` at `now`, coarse on purpose. */
export function formatAge(at: Date, now: number): string {
  const seconds = Math.max(0, Math.round((now - at.getTime()) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

/** A duration in ms as people say it: "850 ms", "1.5 s", "2 min", "1 h". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  if (ms < 3_600_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 3_600_000).toFixed(1))} h`;
}

/** Local time of day with seconds, e.g. "14:03:27". */
export function formatClock(at: Date): string {
  return at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** Local time of day to the minute, e.g. "14:03": the label of a per-minute bucket. */
export function formatMinute(at: Date): string {
  return at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hour12: false });
}

/** Who or what an email job is for, from its data as submitted (never trusted to have a shape). */
export function describeEmail(data: unknown): { to: string; subject: string } {
  const email = typeof data === "object" && data !== null ? (data as { email?: unknown }).email : undefined;
  const field = (name: string): string => {
    const value = typeof email === "object" && email !== null ? (email as Record<string, unknown>)[name] : undefined;
    if (typeof value === "string") return value;
    if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string").join(", ");
    return "";
  };
  return { to: field("to"), subject: field("subject") };
}
