/**
 * The execution guard's domain errors: small named classes with stable codes, so the worker's
 * processor can tell "try later" from a real failure without parsing messages.
 */

/**
 * Another run of the same job holds a live lease on its effect (it is sending right now).
 * Thrown by `runGuarded` so BullMQ retries the job later; by then the effect is done (the retry
 * completes without sending) or the lease has run out (the retry takes over).
 */
export class EffectBusyError extends Error {
  override readonly name = "EffectBusyError";
  /** Stable code, for logs and failure classification. */
  readonly code = "EFFECT_BUSY";
  /** Queue of the job whose effect is busy. */
  readonly queue: string;
  /** Id of the job whose effect is busy. */
  readonly jobId: string;
  /** When the holder's lease ends unless it renews, in ms (>= 1). */
  readonly retryAfterMs: number;

  constructor(queue: string, jobId: string, retryAfterMs: number) {
    super(`Effect of job ${queue}/${jobId} is being run by another worker; retry in ${retryAfterMs} ms`);
    this.queue = queue;
    this.jobId = jobId;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Whether a value is an `EffectBusyError` (also across copies of this module). */
export function isEffectBusyError(error: unknown): error is EffectBusyError {
  return (
    error instanceof EffectBusyError ||
    (error instanceof Error && (error as { code?: unknown }).code === "EFFECT_BUSY")
  );
}
