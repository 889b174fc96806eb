/**
 * The procedure builders every router uses, in the request order of DESIGN.md:
 * access control → (input validation → idempotency) → rate limit → Redis ready → resolver.
 */
import type { ZodType } from "zod";
import type { ServerDeps } from "../deps.js";
import { recordBlocked } from "../rateLimit/index.js";
import { t } from "./init.js";
import { accessControl } from "./middleware/access.js";
import { mapResolverErrors } from "./middleware/resolverErrors.js";
import { createIdempotencyMiddleware, markEnqueueReachable } from "./middleware/idempotency.js";
import { createRateLimitMiddleware } from "./middleware/rateLimit.js";
import { createRedisReadyMiddleware } from "./middleware/redisReady.js";

export function createProcedures(deps: ServerDeps) {
  const rateLimit = createRateLimitMiddleware({
    limiter: deps.limiter,
    logger: deps.logger,
    recordBlocked: (entry) =>
      recordBlocked(deps.redis, deps.config.keyPrefix, entry, {
        maxEntries: deps.config.blockedLogMax,
        retention: { minute: deps.config.metricsMinuteRetentionMs, hour: deps.config.metricsHourRetentionMs },
      }),
    onDecision: (decision) => deps.metrics.observeRateLimit(decision),
  });
  const idempotency = createIdempotencyMiddleware({ store: deps.idempotency, logger: deps.logger, onOutcome: (outcome) => deps.metrics.observeIdempotency(outcome) });
  const guarded = t.procedure.use(mapResolverErrors).use(accessControl);
  const redisReady = createRedisReadyMiddleware(deps.redis);
  return {
    /** Rate-limited procedure for reads and non-idempotent calls. */
    limited: guarded.use(rateLimit).use(redisReady),
    /** Builds an idempotent, rate-limited mutation over a validated input. */
    idempotent: <TOutput, TInput>(schema: ZodType<TOutput, TInput>) => guarded.input(schema).use(idempotency).use(rateLimit).use(redisReady).use(markEnqueueReachable),
  };
}
