/**
 * The email processor: builds the message, sends it under the execution guard with a
 * per-attempt timeout, records each failed attempt in the job's log, and turns permanent
 * failures into BullMQ's UnrecoverableError so the job goes dead at once.
 *
 * This runs once per job, so it is kept lean (measured in `bench/worker.ts`): no per-job child
 * logger (each log line carries the job's fields itself), no AbortSignal (see below), the
 * sender's domain parsed once.
 */
import { randomUUID } from "node:crypto";
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import type { Logger } from "pino";
import { encodeAttemptLog, type EmailJobData, type EmailJobResult } from "@taskgate/shared";
import { runGuarded, isEffectBusyError, type AfterEffectHook, type EffectGuard } from "../guard/index.js";
import { classifyFailure, isDefinitelyNotSent } from "./classify.js";
import { mailBuilder, type OutgoingMail } from "./message.js";
import type { MailTransport, SendReceipt } from "./transport.js";

export interface EmailProcessorDeps {
  transport: MailTransport;
  guard: EffectGuard;
  logger: Logger;
  /** Sender of every mail (MAIL_FROM). */
  mailFrom: string;
  /** Longest one send may take, in ms (JOB_TIMEOUT_MS). */
  jobTimeoutMs: number;
  /** Test seam between the SMTP acceptance and the done mark; unset in production. */
  afterSend?: AfterEffectHook;
  /** Test seam at the start of every run, before the guard is claimed; unset in production. */
  onJobStart?: () => void | Promise<void>;
  /**
   * Whether this run's done mark may go out unawaited, ahead of BullMQ's completion of the job
   * on the same connection (`runGuarded`'s `doneMark: "ordered"`); asked once per run.
   * `startWorker` says yes only on a single Redis whose connection BullMQ completes jobs on.
   * Default: never (the done mark is awaited).
   */
  orderedDoneMarks?: () => boolean;
  /** Called when an unawaited done mark failed, after it is logged (the worker counts it). */
  onDoneMarkFailed?: (queue: string) => void;
  /**
   * Given the settling (done mark or release, never rejecting) of every send that outlived
   * JOB_TIMEOUT_MS, so the worker's shutdown waits for it. Default: none.
   */
  onLateSend?: (settled: Promise<void>) => void;
}

/** Thrown when an attempt runs past JOB_TIMEOUT_MS. */
export class JobTimeoutError extends Error {
  override readonly name = "JobTimeoutError";
  readonly code = "JOB_TIMEOUT";
}

/**
 * The message of a job, or an error with nodemailer's `EMESSAGE` code when its data cannot make
 * one (a payload that skipped the API's validation), which `classifyFailure` makes permanent:
 * no attempt could build it either.
 */
function buildMessage(build: ReturnType<typeof mailBuilder>, queue: string, jobId: string, data: EmailJobData): OutgoingMail {
  try {
    return build(queue, jobId, data);
  } catch (error) {
    throw Object.assign(new Error(`the job's data makes no message (${error instanceof Error ? error.message : String(error)})`), { code: "EMESSAGE" });
  }
}

/** The fields every log line about a job carries (what a per-job child logger used to bind). */
interface JobLogFields {
  jobId: string;
  queue: string;
  requestId: string;
  attempt: number;
}

function logFieldsOf(job: Job<EmailJobData, EmailJobResult>): JobLogFields {
  return { jobId: job.id!, queue: job.queueName, requestId: job.data.requestId, attempt: job.attemptsMade + 1 };
}

/** One run's data for the guard's callbacks, which are made once per processor, not per job. */
interface EmailRun {
  job: Job<EmailJobData, EmailJobResult>;
  mail: OutgoingMail;
}

/**
 * The processor for BullMQ. It deliberately takes two parameters, not the optional third
 * (AbortSignal): BullMQ creates an AbortController for every job when the processor declares
 * one (`processor.length >= 3`), which costs more than the rest of the processor's own work.
 * Nothing in Taskgate cancels jobs (`worker.cancelJob`); every attempt is bounded by JOB_TIMEOUT_MS
 * (a send that outlives it keeps its claim until it settles: `runGuarded`'s `timeoutMs`).
 */
export function createEmailProcessor(deps: EmailProcessorDeps): (job: Job<EmailJobData, EmailJobResult>, token?: string) => Promise<EmailJobResult> {
  const { transport, guard, logger, jobTimeoutMs, afterSend, onJobStart, orderedDoneMarks, onDoneMarkFailed, onLateSend } = deps;
  const buildMail = mailBuilder(deps.mailFrom);
  const send = (run: EmailRun) => transport.send(run.mail);
  const timeoutError = () => new JobTimeoutError(`the send took longer than ${jobTimeoutMs} ms`);
  const lateSend = (settled: Promise<void>, run: EmailRun) => {
    // The attempt failed (and will be retried), but the send may still be accepted: its lease
    // is held until it settles, so the retry waits for it instead of sending again.
    logger.warn(logFieldsOf(run.job), "send still running after JOB_TIMEOUT_MS; its claim is held until it settles");
    onLateSend?.(settled);
  };
  const leaseLost = (run: EmailRun) => logger.warn(logFieldsOf(run.job), "execution-guard lease taken over while sending");
  const doneMarkFailed = (error: unknown, run: EmailRun) => {
    // The job completes anyway (BullMQ's completion does not depend on this reply), and the
    // mail went out once. The record stays claimed until its lease runs out; only a later
    // run of this job id could then send again (docs/OPERATIONS.md, "The guarantees").
    logger.error({ ...logFieldsOf(run.job), err: error }, "execution-guard done mark failed after the email was sent; the job completes without it");
    onDoneMarkFailed?.(run.job.queueName);
  };
  return async (job, token) => {
    const jobId = job.id!;
    const queue = job.queueName;
    if (onJobStart) await onJobStart();
    try {
      const mail = buildMessage(buildMail, queue, jobId, job.data);
      const { result, deduplicated } = await runGuarded<SendReceipt, EmailRun>({
        guard,
        queue,
        jobId,
        // One owner per run: a second run of the same job (stalled, retried) must not share the claim.
        owner: randomUUID(),
        context: { job, mail },
        effect: send,
        timeoutMs: jobTimeoutMs,
        timeoutError,
        onLateEffect: lateSend,
        isDefinitelyNotSent,
        onLeaseLost: leaseLost,
        afterEffect: afterSend,
        doneMark: orderedDoneMarks?.() === true ? "ordered" : "awaited",
        onDoneMarkFailed: doneMarkFailed,
      });
      if (logger.isLevelEnabled("info")) {
        logger.info({ ...logFieldsOf(job), messageId: result.messageId, deduplicated }, deduplicated ? "email already sent; not sending again" : "email sent");
      }
      return { ...result, deduplicated };
    } catch (error) {
      const fields = logFieldsOf(job);
      if (isEffectBusyError(error) && token) {
        // Another run holds the lease: wait for it without spending an attempt.
        logger.info({ ...fields, retryAfterMs: error.retryAfterMs }, "another run is sending this email; waiting");
        await job.moveToDelayed(Date.now() + Math.max(100, error.retryAfterMs), token);
        throw new DelayedError();
      }
      const failure = classifyFailure(error);
      const lastAttempt = fields.attempt >= (job.opts.attempts ?? 1);
      await job
        .log(encodeAttemptLog({ at: Date.now(), error: failure.reason, responseCode: failure.responseCode, nonRetryable: failure.permanent }))
        .catch((logError: unknown) => logger.warn({ ...fields, err: logError }, "could not record the attempt"));
      logger.warn({ ...fields, reason: failure.reason, permanent: failure.permanent, lastAttempt }, "email attempt failed");
      if (failure.permanent) throw new UnrecoverableError(failure.reason);
      const retryable = new Error(failure.reason);
      retryable.stack = error instanceof Error ? error.stack : retryable.stack;
      throw retryable;
    }
  };
}
