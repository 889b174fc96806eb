/**
 * Counts the jobs this worker process finishes, completed or dead, into the shared per-minute
 * and per-hour counters that `monitoring.queues` reads (`@taskgate/shared/runtime`'s
 * jobOutcomeCounts). Summed in memory and flushed once per METRICS_FLUSH_MS, like Sidekiq's
 * processed/failed stats: BullMQ's own `metrics` option counted inside its job-finishing script,
 * several Redis commands on every job, which was measurable in the worker's throughput
 * (BENCHMARKS.md). A process killed with kill -9 loses at most its last flush period of counts.
 */
import type { Worker } from "bullmq";
import { JOB_OUTCOME_FIELD, jobOutcomeSeries, type CounterBuffer } from "@taskgate/shared/runtime";

// The buffer only reads the fields: one array each, not one per job.
const COMPLETED: readonly string[] = [JOB_OUTCOME_FIELD.completed];
const DEAD: readonly string[] = [JOB_OUTCOME_FIELD.dead];

export function countJobOutcomes(worker: Worker, counters: Pick<CounterBuffer, "add">): void {
  worker.on("completed", (job) => counters.add(jobOutcomeSeries(job.queueName), job.finishedOn ?? Date.now(), COMPLETED));
  worker.on("failed", (job) => {
    // BullMQ sets finishedOn on a failure only when the job went dead; a retry is not counted.
    if (job?.finishedOn) counters.add(jobOutcomeSeries(job.queueName), job.finishedOn, DEAD);
  });
}
