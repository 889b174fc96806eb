/**
 * Which Redis errors are not bugs. Two kinds: Redis is away (no connection, no answer in time),
 * or Redis answers but refuses the work — full under `noeviction` (OOM), a read-only replica, a
 * dataset still loading, a script hogging it (BUSY), a cluster reshuffling or down, persistence
 * failing (MISCONF). Neither is the caller's fault or ours, so both become 503 UNAVAILABLE with
 * Retry-After (`server/src/errors/problem.ts`); anything else stays a 500 and is logged.
 */

/** `down`: Redis did not answer. `refusing`: it answered with a refusal that passes by itself. */
export type RedisFailure = "down" | "refusing";

/**
 * Error codes Redis puts first in a refusal. In a script's error they come either first (Redis
 * 7 passes a `redis.call` error through) or after ` -` (Redis 6 wraps it in "ERR Error running
 * script … -OOM …"). Case-sensitive and whole-word: `BUSYKEY` or a message merely containing
 * "loading" is not a refusal.
 */
const REFUSAL = /(?:^|\s-)(?:OOM|READONLY|LOADING|BUSY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|MISCONF|NOREPLICAS|MOVED|ASK)\b|^Too many Cluster redirections/;

/**
 * A MULTI whose queued commands were rejected. Under `noeviction` at maxmemory Redis rejects
 * every command queued in a MULTI, reads included (BullMQ reads a job's logs that way), so this
 * is how OOM reaches a status read. ioredis lists the rejections as `previousErrors`: when they
 * are known and none is a refusal (a malformed command), the abort is a bug like any other.
 */
const EXECABORT = /^EXECABORT\b/;

/**
 * ioredis' own words for "no answer": a closed or unwritable connection with the offline queue
 * off, the command timeout, retries used up, a cluster that cannot reach its nodes, and the
 * socket errors behind them.
 */
const DOWN =
  /Connection is closed|Command timed out|enableOfflineQueue|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|max retries per request|MaxRetriesPerRequest|Connection in subscriber mode|None of startup nodes|Failed to refresh slots cache|ClusterAllFailed/i;

/** The errors to look at: the error, its `cause` chain, and a transaction's `previousErrors`. */
function* candidates(error: unknown, depth = 0): Generator<Error> {
  if (!(error instanceof Error) || depth > 4) return;
  yield error;
  yield* candidates(error.cause, depth + 1);
  const previous = (error as { previousErrors?: unknown }).previousErrors;
  if (Array.isArray(previous)) for (const inner of previous) yield* candidates(inner, depth + 1);
}

/**
 * Whether `error` (or what it wraps, e.g. a TRPCError's cause, a transaction's rejected
 * commands) means Redis is away or refusing work; `undefined` for everything else, which is a
 * bug. A refusal found anywhere wins over "down".
 */
export function redisFailureOf(error: unknown): RedisFailure | undefined {
  let found: RedisFailure | undefined;
  let abortedWithoutReason = false;
  for (const candidate of candidates(error)) {
    if (REFUSAL.test(candidate.message)) return "refusing";
    if (DOWN.test(candidate.message) || DOWN.test(candidate.name)) found = "down";
    if (EXECABORT.test(candidate.message)) {
      const previous = (candidate as { previousErrors?: unknown }).previousErrors;
      if (!Array.isArray(previous) || previous.length === 0) abortedWithoutReason = true;
    }
  }
  return found ?? (abortedWithoutReason ? "refusing" : undefined);
}
