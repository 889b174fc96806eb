/**
 * What `run.ts` hands every benchmark, and the shape of a benchmark module.
 */
import type { Redis } from "ioredis";
import type { Verdict } from "./verdict.js";

export interface BenchContext {
  /** This run's key prefix; a benchmark derives its own (`${prefix}-gw`…) and every key starts with it. */
  prefix: string;
  /** A spare connection for set-up, checks and clean-up (not for the measured work). */
  admin: Redis;
}

/** A benchmark module: runs, prints its tables, and returns its verdicts for the summary. */
export interface BenchModule {
  run(ctx: BenchContext): Promise<Verdict[]>;
}
