/**
 * Rate limiting of one procedure call, so a REST alias and its procedure count as the same
 * route (the alias declared in the procedure's meta). The limiter answers with a value; only
 * here does a denial become a 429 (or a closed-mode failure a 503). The procedure builders
 * (procedures.ts) run it as middleware, and skip it for replays of an idempotent request,
 * which are not charged.
 */
import type { Logger } from "pino";
import type { RuleOutcome } from "@taskgate/shared";
import { RateLimitedError, UnavailableError } from "../../errors/appErrors.js";
import { toTRPCError } from "../../errors/problem.js";
import type { RequestContext } from "../../requestContext.js";
import { formatRateLimitHeaders, recipientCount, recordBlocked, retryAfterSeconds, type RateLimitDecision, type RateLimiter, type RateLimitRequest } from "../../rateLimit/index.js";
import { routeOfProcedure, type ProcedureMeta } from "../meta.js";

export interface RateLimitCheckDeps {
  limiter: RateLimiter;
  logger: Logger;
  /** Writes the blocked log and counters; failures are logged, never thrown. */
  recordBlocked: (entry: Parameters<typeof recordBlocked>[2]) => Promise<unknown>;
  /** Sees every decision (Prometheus counters); optional. */
  onDecision?: ((decision: RateLimitDecision) => void) | undefined;
}

function describe(rule: RuleOutcome) {
  return { rule: rule.name, limit: rule.limit, windowMs: rule.windowMs, retryAfterMs: rule.retryAfterMs };
}

/** What the check reads of one call (a subset of a tRPC middleware's options). */
export interface RateLimitedCall {
  ctx: RequestContext;
  path: string;
  meta: ProcedureMeta | undefined;
  input: unknown;
}

/** What the limiter is asked about one call. */
function limitedRequest(ctx: RequestContext, route: string, input: unknown): RateLimitRequest {
  return {
    route,
    ip: ctx.ip,
    // Rules with `cost: "recipients"` charge a mail once per recipient (to + cc + bcc).
    recipients: recipientCount(input),
    ...(ctx.caller ? { userId: ctx.caller.userId, apiKey: ctx.caller.apiKey, tier: ctx.caller.tier } : {}),
  };
}

/**
 * The RateLimit headers of a call that is answered without being charged (an idempotent
 * replay): what each rule has left now, from a peek that records nothing. Never throws, never
 * refuses: a replay is answered whatever the limiter says, and without headers when Redis does
 * not answer the peek (the replay itself came from Redis, so that is rare).
 */
export function createRateLimitPeek(deps: Pick<RateLimitCheckDeps, "limiter" | "logger">): (call: RateLimitedCall) => Promise<void> {
  return async ({ ctx, path, meta, input }) => {
    const route = routeOfProcedure(meta, path);
    const decision = await deps.limiter.peek(limitedRequest(ctx, route, input));
    if (decision.failure) {
      deps.logger.debug({ requestId: ctx.requestId, failure: decision.failure, route }, "no RateLimit headers for a replay: the limiter could not reach Redis");
      return;
    }
    for (const [name, value] of Object.entries(formatRateLimitHeaders(decision.outcomes))) ctx.setHeader(name, value);
  };
}

/** Charges one call against the rules; resolves when it is admitted, throws its 429 or 503 when not. */
export function createRateLimitCheck(deps: RateLimitCheckDeps): (call: RateLimitedCall) => Promise<void> {
  /** Writes one blocked-log entry off the request path: failures are logged, never thrown. */
  function record(ctx: RequestContext, route: string, outcome: RuleOutcome, shadow: boolean): void {
    const entry = { at: Date.now(), requestId: ctx.requestId, ip: ctx.ip, ...(ctx.caller ? { userId: ctx.caller.userId } : {}), route, rule: outcome.name, limit: outcome.limit, windowMs: outcome.windowMs, retryAfterMs: outcome.retryAfterMs };
    deps.recordBlocked(shadow ? { ...entry, shadow } : entry).catch((error: unknown) => deps.logger.warn({ err: error, requestId: ctx.requestId }, "could not record a blocked request"));
  }

  return async ({ ctx, path, meta, input }) => {
    const route = routeOfProcedure(meta, path);
    const decision = await deps.limiter.check(limitedRequest(ctx, route, input));
    deps.onDecision?.(decision);
    if (decision.failure) deps.logger.warn({ requestId: ctx.requestId, failure: decision.failure, route }, "rate limiter could not reach Redis");
    for (const [name, value] of Object.entries(formatRateLimitHeaders(decision.outcomes))) ctx.setHeader(name, value);
    if (decision.allowed) {
      // What shadow rules would have denied goes to the blocked log as shadow; the request passes.
      for (const shadow of decision.shadowed) record(ctx, route, shadow, true);
      return;
    }
    if (decision.failure) throw toTRPCError(new UnavailableError("Rate limiting is unavailable and the limiter fails closed; retry shortly.", 1));
    const reported = decision.reported ?? decision.violated[0]!;
    const retryAfter = retryAfterSeconds(decision);
    ctx.setHeader("Retry-After", String(retryAfter));
    record(ctx, route, reported, false);
    throw toTRPCError(
      new RateLimitedError(
        `Rate limit '${reported.name}' exceeded: ${reported.limit} per ${reported.windowMs / 1000} s. Retry in ${retryAfter} s.`,
        { ...describe(reported), violated: decision.violated.map(describe) },
        retryAfter,
      ),
    );
  };
}
