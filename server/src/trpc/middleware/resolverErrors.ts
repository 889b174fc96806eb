/**
 * Maps what a resolver (or a middleware inside this one: idempotency, rate limit) throws to the
 * right tRPC error, so the HTTP status of a tRPC response matches the problem it carries: a
 * domain error (NotFoundError from a plain function) keeps its code, and a Redis that does not
 * answer (connection down, command timeout) or refuses the work (OOM under `noeviction`,
 * READONLY, LOADING, BUSY, CLUSTERDOWN, …) becomes 503 UNAVAILABLE with Retry-After instead of
 * a 500 — the client did nothing wrong. Which errors those are is decided in
 * `redis/failures.ts`, their public form in `errors/`.
 */
import { AppError } from "../../errors/appErrors.js";
import { redisUnavailableError, toTRPCError } from "../../errors/problem.js";
import type { TRPCError } from "@trpc/server";
import type { RequestContext } from "../../requestContext.js";

/** The outcome of the rest of a call's middleware chain, as tRPC's `next()` answers it. */
type ChainResult<T> = T & ({ ok: true } | { ok: false; error: TRPCError });

/** Passes a result on, or throws the right error for an internal one (procedures.ts, `entry`). */
export function mapResolverError<T>(ctx: Pick<RequestContext, "setHeader">, result: ChainResult<T>): ChainResult<T> {
  if (result.ok || result.error.code !== "INTERNAL_SERVER_ERROR") return result;
  if (result.error.cause instanceof AppError) throw toTRPCError(result.error.cause);
  const unavailable = redisUnavailableError(result.error);
  if (unavailable) {
    ctx.setHeader("Retry-After", String(unavailable.retryAfterSeconds ?? 1));
    throw toTRPCError(unavailable);
  }
  return result;
}
