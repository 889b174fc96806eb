/**
 * Turns a Redis that does not answer (connection down, command timeout) into 503
 * UNAVAILABLE with Retry-After, instead of a 500: the client did nothing wrong and a retry
 * will work once Redis is back.
 */
import { TRPCError } from "@trpc/server";
import { UnavailableError } from "../../errors/appErrors.js";
import { toTRPCError } from "../../errors/problem.js";
import { middleware } from "../init.js";

const REDIS_DOWN = /Connection is closed|Command timed out|enableOfflineQueue|ECONNREFUSED|ECONNRESET|MaxRetriesPerRequest|Connection in subscriber mode|LOADING|CLUSTERDOWN|None of startup nodes/i;

/** Whether an error means Redis did not answer (as opposed to a bug). */
export function isRedisUnavailable(error: unknown): boolean {
  const cause = error instanceof TRPCError ? error.cause : error;
  if (!(cause instanceof Error)) return false;
  return REDIS_DOWN.test(cause.message) || REDIS_DOWN.test(cause.name);
}

export const unavailableOnRedisFailure = middleware(async ({ ctx, next }) => {
  const result = await next();
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR" && isRedisUnavailable(result.error)) {
    ctx.setHeader("Retry-After", "1");
    throw toTRPCError(new UnavailableError("Redis is not answering; try again shortly.", 1));
  }
  return result;
});
