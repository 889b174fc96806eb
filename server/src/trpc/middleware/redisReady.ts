/**
 * Answers 503 at once, just before the resolver, while a Redis connection is not ready (e.g.
 * Redis, or a Redis Cluster, still down when the API started): BullMQ's queue calls wait for
 * their first connection instead of failing, so without this a request would hang until Redis
 * came up. Runs after the limiter and idempotency, which fail fast on their own terms; the
 * queues' connection alone is also checked before the limiter (procedures.ts, `gate`), so a
 * request refused for it is not charged.
 */
import { UnavailableError } from "../../errors/appErrors.js";
import { toTRPCError } from "../../errors/problem.js";
import { allReady, type RedisClient } from "../../redis/connect.js";
import type { RequestContext } from "../../requestContext.js";

/**
 * Throws the 503 when a connection is not ready (the API's own and the queues'); part of the
 * checks before a resolver (procedures.ts, `gate`).
 */
export function requireRedisReady(connections: readonly RedisClient[], ctx: Pick<RequestContext, "setHeader">): void {
  if (!allReady(connections)) {
    ctx.setHeader("Retry-After", "1");
    throw toTRPCError(new UnavailableError("Redis is not answering; try again shortly.", 1));
  }
}
