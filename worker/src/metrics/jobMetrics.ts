/**
 * The worker's own Prometheus metrics, on a per-process Registry: what this process did with
 * jobs (outcomes and how long attempts took) plus Node's process metrics. Queue depths are
 * shared state and come from the API's `/metrics` instead.
 */
import type { Job, Worker } from "bullmq";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

/** How one attempt ended: done, failed and will run again, or failed for good. */
export type JobOutcome = "completed" | "retry" | "dead";

export interface JobMetrics {
  registry: Registry;
  observe(queue: string, outcome: JobOutcome, seconds: number): void;
  /** Counts an execution-guard done mark that failed after its job had been handed to BullMQ's completion. */
  doneMarkFailed(queue: string): void;
}

export function createJobMetrics(): JobMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const processed = new Counter({
    name: "taskgate_jobs_processed_total",
    help: "Job attempts this worker process finished, by queue and outcome (completed, retry, dead).",
    labelNames: ["queue", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "taskgate_job_duration_seconds",
    help: "How long one attempt ran, from the worker taking the job to its outcome, by queue and outcome.",
    labelNames: ["queue", "outcome"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const doneMarkFailures = new Counter({
    name: "taskgate_guard_done_mark_failures_total",
    help: "Execution-guard done marks that failed after the email was sent and the job was handed to BullMQ's completion, by queue. Each leaves the job's guard record claimed (docs/OPERATIONS.md, The guarantees).",
    labelNames: ["queue"] as const,
    registers: [registry],
  });
  return {
    registry,
    observe(queue, outcome, seconds) {
      processed.inc({ queue, outcome });
      duration.observe({ queue, outcome }, seconds);
    },
    doneMarkFailed(queue) {
      doneMarkFailures.inc({ queue });
    },
  };
}

function secondsSince(job: Job, end: number): number {
  return job.processedOn ? Math.max(0, end - job.processedOn) / 1000 : 0;
}

/** Counts every attempt a worker finishes. BullMQ sets `finishedOn` on a failure only when the job went dead. */
export function watchJobs(worker: Worker, metrics: JobMetrics): void {
  worker.on("completed", (job) => metrics.observe(job.queueName, "completed", secondsSince(job, job.finishedOn ?? Date.now())));
  worker.on("failed", (job) => {
    if (job) metrics.observe(job.queueName, job.finishedOn ? "dead" : "retry", secondsSince(job, job.finishedOn ?? Date.now()));
  });
}
