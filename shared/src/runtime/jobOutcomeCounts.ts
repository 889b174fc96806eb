/**
 * The per-minute and per-hour counts of finished jobs behind `monitoring.queues`' `perMinute`:
 * every worker process adds its completions and deaths (jobs that failed for good) to one
 * counter series per queue, through a CounterBuffer; the API reads the series back. Written by
 * the workers and read by the API, so the series' name and fields live here, once.
 */

/** The counter series of one queue's finished jobs. */
export function jobOutcomeSeries(queue: string): string {
  return `jobs:${queue}`;
}

/** The field each outcome adds 1 to: a completed job, or one that failed for good (dead). */
export const JOB_OUTCOME_FIELD = { completed: "completed", dead: "failed" } as const;
