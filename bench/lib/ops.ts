/**
 * A fixed number of async operations at a fixed concurrency, timed as a whole and per call.
 */
import { performance } from "node:perf_hooks";
import { percentile } from "./table.js";

/** What one run of `runOps` measured. */
export interface OpsResult {
  ops: number;
  errors: number;
  elapsedMs: number;
  opsPerSec: number;
  /** Latency of one call as the caller sees it (includes queueing behind the other in-flight calls), in µs. */
  p50Us: number;
  p99Us: number;
  /** CPU this process spent per op (user + system), in µs: the client side's cost. */
  cpuUsPerOp: number;
  /** The first error thrown, for the report. */
  firstError?: unknown;
}

/** Runs `op` `total` times with `concurrency` calls in flight; an op that throws counts as an error. */
export async function runOps(total: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<OpsResult> {
  const latencies = new Float64Array(total);
  let next = 0;
  let errors = 0;
  let firstError: unknown;
  const lane = async () => {
    while (next < total) {
      const i = next++;
      const start = performance.now();
      try {
        await op(i);
      } catch (error) {
        errors += 1;
        firstError ??= error;
      }
      latencies[i] = (performance.now() - start) * 1000;
    }
  };
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  const elapsedMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const all = Array.from(latencies);
  return {
    ops: total,
    errors,
    elapsedMs,
    opsPerSec: (total / elapsedMs) * 1000,
    p50Us: percentile(all, 50),
    p99Us: percentile(all, 99),
    cpuUsPerOp: (used.user + used.system) / total,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
