/**
 * The email processor: builds the message, sends it under the execution guard with a
 * per-attempt timeout, records each failed attempt in the job's log, and turns permanent
 * failures into BullMQ's UnrecoverableError so the job goes dead at once.
 */
import { randomUUID } from "node:crypto";
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import type { Logger } from "pino";
import { encodeAttemptLog, type EmailJobData, type EmailJobResult } from "@taskgate/shared";
import { runGuarded, isEffectBusyError, type AfterEffectHook, type EffectGuard } from "../guard/index.js";
import { classifyFailure, isDefinitelyNotSent } from "./classify.js";
import { buildMail } from "./message.js";
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
}

/** Thrown when an attempt runs past JOB_TIMEOUT_MS. */
export class JobTimeoutError extends Error {
  override readonly name = "JobTimeoutError";
  readonly code = "JOB_TIMEOUT";
}

/** Rejects when `ms` pass or `signal` aborts, whichever comes first. */
function bounded<T>(work: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    };
    const onAbort = () => fail(new JobTimeoutError("the send was cancelled"));
    const timer = setTimeout(() => fail(new JobTimeoutError(`the send took longer than ${ms} ms`)), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
    );
  });
}

export function createEmailProcessor(deps: EmailProcessorDeps) {
  return async (job: Job<EmailJobData, EmailJobResult>, token?: string, signal?: AbortSignal): Promise<EmailJobResult> => {
    const jobId = job.id!;
    const log = deps.logger.child({ jobId, queue: job.queueName, requestId: job.data.requestId, attempt: job.attemptsMade + 1 });
    const mail = buildMail(job.queueName, jobId, job.data, deps.mailFrom);
    await deps.onJobStart?.();
    try {
      const { result, deduplicated } = await runGuarded<SendReceipt>({
        guard: deps.guard,
        queue: job.queueName,
        jobId,
        // One owner per run: a second run of the same job (stalled, retried) must not share the claim.
        owner: randomUUID(),
        effect: () => bounded(deps.transport.send(mail), deps.jobTimeoutMs, signal),
        isDefinitelyNotSent,
        onLeaseLost: () => log.warn("execution-guard lease taken over while sending"),
        ...(deps.afterSend ? { afterEffect: deps.afterSend } : {}),
      });
      log.info({ messageId: result.messageId, deduplicated }, deduplicated ? "email already sent; not sending again" : "email sent");
      return { ...result, deduplicated };
    } catch (error) {
      if (isEffectBusyError(error) && token) {
        // Another run holds the lease: wait for it without spending an attempt.
        log.info({ retryAfterMs: error.retryAfterMs }, "another run is sending this email; waiting");
        await job.moveToDelayed(Date.now() + Math.max(100, error.retryAfterMs), token);
        throw new DelayedError();
      }
      const failure = classifyFailure(error);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await job
        .log(encodeAttemptLog({ at: Date.now(), error: failure.reason, responseCode: failure.responseCode, nonRetryable: failure.permanent }))
        .catch((logError: unknown) => log.warn({ err: logError }, "could not record the attempt"));
      log.warn({ reason: failure.reason, permanent: failure.permanent, lastAttempt }, "email attempt failed");
      if (failure.permanent) throw new UnrecoverableError(failure.reason);
      const retryable = new Error(failure.reason);
      retryable.stack = error instanceof Error ? error.stack : retryable.stack;
      throw retryable;
    }
  };
}
