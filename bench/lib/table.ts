/**
 * Aligned plain-text tables and number formatting for benchmark output.
 */

/** One column: its header and which side its cells line up on. */
export interface Column {
  header: string;
  align?: "left" | "right";
}

/** Prints a title, then the rows under their headers, columns padded to the widest cell. */
export function printTable(title: string, columns: readonly Column[], rows: readonly (readonly string[])[]): void {
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => ((columns[i]?.align ?? "right") === "left" ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(columns.map((column) => column.header)));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of rows) console.log(line(row));
}

/** 12345.6 → "12 346" (thin grouping keeps wide numbers readable in a terminal). */
export function fmtInt(value: number): string {
  if (!Number.isFinite(value)) return "-";
  return Math.round(value).toLocaleString("en-US").replace(/,/g, " ");
}

/** A number with fixed decimals, or "-" when not finite. */
export function fmtFixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** 0.8312 → "0.83×". */
export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "-";
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0-100) of a list, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
