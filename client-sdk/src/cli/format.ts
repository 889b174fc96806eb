/**
 * Plain-text output of the admin CLI: aligned tables, short times, and JSON that scripts can
 * parse (dates as ISO 8601 strings).
 */

/** A time as `2026-01-02T03:04:05Z` (UTC, no milliseconds); `-` when absent. */
export function time(value: Date | undefined | null): string {
  if (!value) return "-";
  return value.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A duration in ms as `850 ms`, `12 s`, `3 min`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/**
 * A length in ms in the largest unit that states it exactly: `1 h`, `90 min`, `15 s`, `1500 ms`.
 * For configured windows, which `duration` would round.
 */
export function exactDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/**
 * Text from the server made one line that cannot drive the terminal: control characters (escape
 * sequences, line breaks) become spaces. Mail servers' replies reach a dead job's reason, so such
 * text can come from outside.
 */
export function oneLine(text: string): string {
  return text.replace(/\p{Cc}+/gu, " ");
}

/**
 * Cuts `text` to `max` characters (on one line), marking the cut with `…`. Line breaks and other
 * control characters become spaces: cells can hold text from the server, which must not drive
 * the terminal.
 */
export function truncate(text: string, max: number): string {
  const line = text.replace(/[\s\p{Cc}]+/gu, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** An aligned table with a header row; numbers are right-aligned. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => (row[i] ?? "").length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === "number"));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...cells.map(line)].join("\n");
}

/** `key  value` lines with the keys aligned. */
export function fields(entries: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join("\n");
}

/** JSON for `--json`: two-space indented; Dates become ISO strings through their toJSON. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
