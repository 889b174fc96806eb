/**
 * When the SDK retries a call, and how long it waits: bounded attempts, `Retry-After` honoured,
 * jittered exponential backoff otherwise, every wait cancellable with an AbortSignal.
 */
import { failedBeforeSending, TaskgateError } from "./errors.js";

/** Retry settings of a client. */
export interface RetryOptions {
  /** Most HTTP attempts per call, the first included; 1 turns retries off. Default 4. */
  attempts?: number;
  /** Base of the exponential backoff, in ms (attempt n waits about base × 2^(n-1), jittered). Default 200. */
  baseDelayMs?: number;
  /**
   * Longest wait between two attempts, in ms. A server asking (`Retry-After`) for a longer wait
   * than this is not retried: the error is thrown at once, with `retryAfterMs` set. Default 30 000.
   */
  maxDelayMs?: number;
  /** Called before each retry's wait: for logs and metrics. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** What `onRetry` is told. */
export interface RetryEvent {
  /** Dotted procedure path, e.g. `jobs.email.create`. */
  path: string;
  /** The attempt that failed (1 = the first). */
  attempt: number;
  /** How long the SDK waits before the next attempt, in ms. */
  delayMs: number;
  error: TaskgateError;
}

/** Retry settings with the defaults applied. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  onRetry: ((event: RetryEvent) => void) | undefined;
}

/** Defaults of `RetryOptions`. */
export const DEFAULT_RETRY = { attempts: 4, baseDelayMs: 200, maxDelayMs: 30_000 } as const;

export function retryPolicy(options: RetryOptions | undefined): RetryPolicy {
  const attempts = options?.attempts ?? DEFAULT_RETRY.attempts;
  const baseDelayMs = options?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const maxDelayMs = options?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`retry.attempts must be an integer ≥ 1: ${attempts}`);
  if (!(baseDelayMs >= 0)) throw new RangeError(`retry.baseDelayMs must be ≥ 0: ${baseDelayMs}`);
  if (!(maxDelayMs >= 0)) throw new RangeError(`retry.maxDelayMs must be ≥ 0: ${maxDelayMs}`);
  return { attempts, baseDelayMs, maxDelayMs, onRetry: options?.onRetry };
}

/**
 * How a procedure may be retried:
 * - `idempotent`: job creation, which always carries an Idempotency-Key, so a repeat replays
 *   the first answer; and queries, which change nothing.
 * - `unsafe`: other mutations (dead-job retry and delete); retried only when the server surely
 *   did not act (Taskgate's own 429 or 503, with its problem: a proxy's 503 proves nothing of
 *   what the server behind it did) or the request never left (connection refused, DNS failure).
 */
export type RetryKind = "idempotent" | "unsafe";

function retryable(kind: RetryKind, error: TaskgateError): boolean {
  switch (error.code) {
    case "RATE_LIMITED":
    case "UNAVAILABLE":
      return kind === "idempotent" || error.problem !== undefined;
    case "IDEMPOTENCY_KEY_IN_USE":
      return kind === "idempotent";
    case "NETWORK_ERROR":
      return kind === "idempotent" || failedBeforeSending(error);
    default:
      return false;
  }
}

/** The wait before the next attempt in ms, or undefined when the call must give up with `error`. */
export function retryDelay(policy: RetryPolicy, kind: RetryKind, error: TaskgateError, attempt: number, random: () => number = Math.random): number | undefined {
  if (attempt >= policy.attempts || !retryable(kind, error)) return undefined;
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > policy.maxDelayMs) return undefined;
    // Never earlier than asked; a little later, spread, so callers told the same second do not return together.
    return error.retryAfterMs + Math.round(random() * Math.min(policy.baseDelayMs, 250));
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": half the step for sure, the other half at random.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
