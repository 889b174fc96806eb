/**
 * The procedure builders every router uses, in the request order of docs/ARCHITECTURE.md ("A request"):
 * access control → (input validation → idempotency) → queues ready (while only the limiter's
 * connection is up) → checks of the moment (meta.checkFresh; not for a replay) → rate limit (for
 * a replay a peek, for its headers) → a key conflict's 409/422 → Redis ready → resolver.
 * What a procedure needs beyond its resolver (REST alias, docs, access) it declares in `meta`
 * (meta.ts); replays of idempotent calls are answered here, never in a resolver.
 */
import type { ZodType } from "zod";
import type { RequestContext } from "../requestContext.js";
import type { ServerDeps } from "../serverDeps.js";
import { recordBlocked } from "../rateLimit/index.js";
import { t } from "./init.js";
import type { ProcedureMeta } from "./meta.js";
import { toTRPCError } from "../errors/problem.js";
import { ValidationError } from "../errors/appErrors.js";
import { accessDenial } from "./middleware/access.js";
import { mapResolverError } from "./middleware/resolverErrors.js";
import { createIdempotencyMiddleware, markEnqueueReachable, type IdempotencyContext } from "./middleware/idempotency.js";
import { createRateLimitCheck, createRateLimitPeek } from "./middleware/rateLimit.js";
import { requireRedisReady } from "./middleware/redisReady.js";
import { allReady } from "../redis/connect.js";

/** What an idempotent resolver is given: the validated input and the request's context. */
export interface IdempotentCall<TInput> {
  ctx: RequestContext & IdempotencyContext;
  input: TInput;
}

export function createProcedures(deps: ServerDeps) {
  const redisConnections = [deps.redis, deps.queueRedis];
  const checkRateLimit = createRateLimitCheck({
    limiter: deps.limiter,
    logger: deps.logger,
    recordBlocked: (entry) =>
      recordBlocked(deps.redis, deps.config.keyPrefix, entry, {
        maxEntries: deps.config.blockedLogMax,
        retention: { minute: deps.config.metricsMinuteRetentionMs, hour: deps.config.metricsHourRetentionMs },
      }),
    onDecision: (decision) => deps.metrics.observeRateLimit(decision),
  });
  const showRateLimit = createRateLimitPeek({ limiter: deps.limiter, logger: deps.logger });
  const idempotency = createIdempotencyMiddleware({ store: deps.idempotency, logger: deps.logger, onOutcome: (outcome) => deps.metrics.observeIdempotency(outcome) });
  // Few middleware levels on purpose: each costs per call (in tRPC's own chain, which tRPC's
  // adapter runs, two copies of the call's options through its build's spread helper; a
  // profile under load found those among the largest costs: BENCHMARKS.md, profile findings).
  /** First: access control, and on the way back the resolver's errors mapped to their statuses. */
  const entry = t.middleware(async ({ ctx, meta, next }) => {
    const denial = accessDenial(ctx, meta?.access ?? "user");
    if (denial) throw toTRPCError(denial);
    return mapResolverError(ctx, await next());
  });
  // The queues' own connection (single Redis) down while the limiter's is up: refuse before the
  // rate limit, which would otherwise charge a request the 503 below refuses. With the
  // limiter's connection down too, its fail mode decides first, as it does alone (open: the
  // 503 below; closed: its own 503), and it can charge nothing.
  const queuesOnly = deps.queueRedis === deps.redis ? undefined : [deps.queueRedis];
  const limiterConnection = [deps.redis];
  /** Last before the resolver: the rate limit (a replay is not charged, only shown its headers; a key conflict is charged, then refused), Redis ready, and a note that both passed. */
  const gate = t.middleware(async (call) => {
    if (queuesOnly && allReady(limiterConnection)) requireRedisReady(queuesOnly, call.ctx);
    const idempotent = call.ctx as Partial<IdempotencyContext>;
    if (!idempotent.replay) {
      const issues = call.meta?.checkFresh?.(call.input);
      if (issues && issues.length > 0) throw toTRPCError(new ValidationError(issues));
      await checkRateLimit(call);
    } else {
      // Not charged, but answered with the headers every response on a limited route carries.
      await showRateLimit(call);
    }
    // A key in use or reused with another body: charged like any call that is not a replay.
    if (idempotent.refusal) throw idempotent.refusal;
    requireRedisReady(redisConnections, call.ctx);
    markEnqueueReachable(call.ctx);
    return call.next();
  });
  const guarded = t.procedure.use(entry);
  const limited = guarded.use(gate);
  return {
    /** Open to anyone, not rate limited, touches no shared state per call (health). */
    open: t.procedure.meta({ access: "public" }),
    /** Rate-limited procedure for reads and non-idempotent calls; `user` access. */
    limited,
    /** Rate-limited, admin-only. */
    admin: limited.meta({ access: "admin" }),
    /**
     * An idempotent, rate-limited mutation over a validated input (docs/OPERATIONS.md "The guarantees"). A replay of an
     * earlier call with the same key and body answers its stored output: it is not charged and
     * the resolver is not called.
     */
    idempotentMutation: <TParsed, TInput, TOutput>(schema: ZodType<TParsed, TInput>, meta: ProcedureMeta, resolve: (call: IdempotentCall<TParsed>) => Promise<TOutput>) =>
      guarded
        .meta({ ...meta, idempotent: true })
        .input(schema)
        .use(idempotency)
        .use(gate)
        .mutation(({ ctx, input }) => (ctx.replay ? Promise.resolve(ctx.replay.output as TOutput) : resolve({ ctx, input: input as TParsed }))),
  };
}

/** The builders, as routers receive them. */
export type Procedures = ReturnType<typeof createProcedures>;
