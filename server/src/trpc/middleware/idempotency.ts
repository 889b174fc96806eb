/**
 * Producer idempotency (docs/OPERATIONS.md "The guarantees") as tRPC middleware, after input validation (the
 * fingerprint is of the validated body) and before rate limiting (a replay is not charged; a key
 * in use or reused with another body is, and its 409 or 422 comes after the rate limit).
 * The claimed record's id becomes the BullMQ job id, so a crash between enqueue and storing
 * the answer cannot enqueue twice.
 */
import superjson from "superjson";
import type { Logger } from "pino";
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError, ValidationError } from "../../errors/appErrors.js";
import { toTRPCError } from "../../errors/problem.js";
import { fingerprint, isValidIdempotencyKey, jobIdFromRecord, type IdempotencyStore } from "../../idempotency/index.js";
import { middleware } from "../init.js";
import { routeOfProcedure } from "../meta.js";

export interface IdempotencyMiddlewareDeps {
  store: IdempotencyStore;
  logger: Logger;
  /** Sees every claim's outcome (Prometheus counters); optional. */
  onOutcome?: ((outcome: "new" | "replay" | "in_use" | "mismatch") => void) | undefined;
}

/** What the middleware adds to the context of an idempotent procedure. */
export interface IdempotencyContext {
  /** Job id derived from the claimed record; undefined without an Idempotency-Key. */
  derivedJobId: string | undefined;
  /**
   * The stored answer of an earlier request with the same key and body. Set, the procedure
   * builder answers it without charging the rate limit or calling the resolver.
   */
  replay: { output: unknown } | undefined;
  /** Set by `markEnqueueReachable` once every check before the resolver passed (see there). */
  attempt: { reachedResolver: boolean };
  /**
   * The 409 or 422 of a key in use or reused with another body. Thrown by the procedure
   * builder's gate after the rate limit, which charges such a request as any other that is not
   * a replay (over the limit, it is a 429 instead).
   */
  refusal: Error | undefined;
}

/**
 * The last step before an idempotent resolver (procedures.ts, `gate`): notes that every refusal
 * before it (rate limit, Redis ready) has passed, so a failure from here on may have enqueued
 * and keeps its record. A no-op for calls without an idempotency context.
 */
export function markEnqueueReachable(ctx: object): void {
  const attempt = (ctx as { attempt?: IdempotencyContext["attempt"] }).attempt;
  if (attempt) attempt.reachedResolver = true;
}

export function createIdempotencyMiddleware(deps: IdempotencyMiddlewareDeps) {
  return middleware(async ({ ctx, path, meta, input, next }) => {
    const key = ctx.idempotencyKey;
    const plain: IdempotencyContext = { derivedJobId: undefined, replay: undefined, attempt: { reachedResolver: false }, refusal: undefined };
    if (key === undefined) return next({ ctx: plain });
    if (key === null) throw toTRPCError(new ValidationError([{ path: "Idempotency-Key", message: "was sent more than once; send it once" }]));
    if (!isValidIdempotencyKey(key)) {
      throw toTRPCError(new ValidationError([{ path: "Idempotency-Key", message: "must be 1-255 printable ASCII characters" }]));
    }
    const record = { scope: ctx.caller ? ctx.caller.userId : `ip:${ctx.ip}`, route: routeOfProcedure(meta, path), key };
    const claim = await deps.store.claim({ ...record, fingerprint: fingerprint(input) });
    deps.onOutcome?.(claim.kind === "claimed" ? "new" : claim.kind);
    switch (claim.kind) {
      case "replay":
        ctx.setHeader("Idempotent-Replayed", "true");
        return next({ ctx: { ...plain, replay: { output: superjson.parse(claim.body) } } });
      // Nothing was claimed, so nothing is released; the gate charges the request, then refuses it.
      case "in_use":
        ctx.setHeader("Retry-After", "1");
        return next({ ctx: { ...plain, refusal: toTRPCError(new IdempotencyKeyInUseError()) } });
      case "mismatch":
        return next({ ctx: { ...plain, refusal: toTRPCError(new IdempotencyKeyReusedError()) } });
      case "claimed":
        break;
    }
    const result = await next({ ctx: { ...plain, derivedJobId: jobIdFromRecord(claim.recordId) } });
    try {
      if (result.ok) {
        const stored = await deps.store.complete({ ...record, token: claim.token, status: 202, body: superjson.stringify(result.data) });
        if (!stored) deps.logger.warn({ requestId: ctx.requestId }, "idempotency lease was lost before the answer was stored");
      } else {
        // Errors are never stored: the same key may succeed later. Refused before the resolver
        // (a 429, the limiter's 503), nothing can have been enqueued, so nothing is left behind.
        await deps.store.release({ ...record, token: claim.token, forget: claim.fresh && !plain.attempt.reachedResolver });
      }
    } catch (error) {
      // The job is enqueued (or the error stands); a retry finds the record by its lease expiry
      // and the derived job id, so a failed bookkeeping write must not fail this request.
      deps.logger.warn({ err: error, requestId: ctx.requestId }, "could not finish the idempotency record");
    }
    return result;
  });
}
