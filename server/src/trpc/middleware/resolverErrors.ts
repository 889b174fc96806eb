/**
 * Maps what a resolver throws to the right tRPC error, so the HTTP status of a tRPC response
 * matches the problem it carries: a domain error (NotFoundError from a plain function) keeps
 * its code, and a Redis that does not answer (connection down, command timeout) becomes 503
 * UNAVAILABLE with Retry-After instead of a 500 — the client did nothing wrong.
 */
import { TRPCError } from "@trpc/server";
import { AppError, UnavailableError } from "../../errors/appErrors.js";
import { toTRPCError } from "../../errors/problem.js";
import { middleware } from "../init.js";

const REDIS_DOWN = /Connection is closed|Command timed out|enableOfflineQueue|ECONNREFUSED|ECONNRESET|MaxRetriesPerRequest|Connection in subscriber mode|LOADING|CLUSTERDOWN|None of startup nodes/i;

/** Whether an error means Redis did not answer (as opposed to a bug). */
export function isRedisUnavailable(error: unknown): boolean {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (!(cause instanceof Error)) return false;
  return REDIS_DOWN.test(cause.message) || REDIS_DOWN.test(cause.name);
}

export const mapResolverErrors = middleware(async ({ ctx, next }) => {
  const result = await next();
  if (result.ok || result.error.code !== "INTERNAL_SERVER_ERROR") return result;
  if (result.error.cause instanceof AppError) throw toTRPCError(result.error.cause);
  if (isRedisUnavailable(result.error)) {
    ctx.setHeader("Retry-After", "1");
    throw toTRPCError(new UnavailableError("Redis is not answering; try again shortly.", 1));
  }
  return result;
});
