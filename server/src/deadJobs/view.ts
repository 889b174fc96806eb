/**
 * How a dead job is shown to admins: the job as submitted (data is returned, never
 * interpreted), why it died, and its attempt history from the job's log, paired with the
 * stack traces BullMQ keeps per failed attempt.
 */
import type { Job } from "bullmq";
import { decodeAttemptLogs, diedNonRetryable, type DeadJobDetail, type DeadJobSummary, type JobAttempt, type QueueName } from "@taskgate/shared";

/**
 * Attempts oldest first. Both the log and `job.stacktrace` gain one entry per failed attempt;
 * they are paired from the newest end, because BullMQ drops the oldest traces first
 * (`stackTraceLimit`) and a log line that could not be written leaves a gap at its own place.
 */
function attemptsOf(job: Job, logs: readonly string[], withStacks: boolean): { attempts: JobAttempt[]; nonRetryable: boolean } {
  const records = decodeAttemptLogs(logs);
  const stacks = withStacks ? (job.stacktrace ?? []) : [];
  const offset = stacks.length - records.length;
  const attempts = records.map((record, index): JobAttempt => {
    const stack = stacks[offset + index];
    return {
      at: new Date(record.at),
      error: record.error,
      ...(record.responseCode !== undefined ? { responseCode: record.responseCode } : {}),
      ...(typeof stack === "string" && stack.length > 0 ? { stack } : {}),
    };
  });
  return { attempts, nonRetryable: diedNonRetryable(records, job.attemptsMade, job.opts.attempts ?? 1) };
}

/** A list entry. `failedAtMs` is the job's failed-set score when `finishedOn` is missing. */
export function toDeadJobSummary(job: Job, logs: readonly string[], failedAtMs: number): DeadJobSummary {
  const { attempts, nonRetryable } = attemptsOf(job, logs, false);
  return {
    jobId: job.id!,
    data: job.data as unknown,
    failedReason: job.failedReason || (attempts.at(-1)?.error ?? "unknown failure"),
    nonRetryable,
    attemptsMade: job.attemptsMade,
    attempts,
    createdAt: new Date(job.timestamp),
    failedAt: new Date(job.finishedOn ?? failedAtMs),
  };
}

/** The single-job view: the list entry plus the queue, max attempts and stack traces. */
export function toDeadJobDetail(queue: QueueName, job: Job, logs: readonly string[], failedAtMs: number): DeadJobDetail {
  const { attempts } = attemptsOf(job, logs, true);
  return { ...toDeadJobSummary(job, logs, failedAtMs), queue, maxAttempts: job.opts.attempts ?? 1, attempts };
}
