/**
 * Verdicts: a benchmark's aim checked against a ratio measured in the same run. Informational:
 * a missed aim is printed, never turned into a failing exit code (the machines are noisy).
 */
import { fmtRatio } from "./table.js";

/** One aim and how the run did against it. */
export interface Verdict {
  benchmark: string;
  /** What is aimed for, e.g. `3-rule exact check ≥ 0.8× rate-limiter-flexible`. */
  aim: string;
  ratio: number;
  /** Undefined = no threshold, the line only reports. */
  threshold?: number | undefined;
  /** `atLeast` (default): met when ratio ≥ threshold (a speed ratio); `atMost`: met when ratio ≤ threshold (a cost or latency ratio). */
  direction?: "atLeast" | "atMost" | undefined;
  /** Extra context shown after the ratio. */
  note?: string | undefined;
}

/** `met`, `not met`, or `info` when the verdict has no threshold. */
export function outcome(verdict: Verdict): "met" | "not met" | "info" {
  if (verdict.threshold === undefined) return "info";
  const met = verdict.direction === "atMost" ? verdict.ratio <= verdict.threshold : verdict.ratio >= verdict.threshold;
  return met ? "met" : "not met";
}

/** One line, e.g. `verdict [limiter]: MET — 3-rule … at 0.91× (aim ≥ 0.80×)`. */
export function formatVerdict(verdict: Verdict): string {
  const state = outcome(verdict);
  const label = state === "info" ? "INFO" : state === "met" ? "MET" : "NOT MET";
  const aim = verdict.threshold === undefined ? "" : ` (aim ${verdict.direction === "atMost" ? "≤" : "≥"} ${fmtRatio(verdict.threshold)})`;
  const note = verdict.note ? `; ${verdict.note}` : "";
  return `verdict [${verdict.benchmark}]: ${label} — ${verdict.aim}: ${fmtRatio(verdict.ratio)}${aim}${note}`;
}

export function printVerdict(verdict: Verdict): void {
  console.log(formatVerdict(verdict));
}
