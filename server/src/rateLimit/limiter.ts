/**
 * The rate limiter: matches a request's rules and checks them all in one Lua call (one Redis
 * round trip), returning a decision value; only the middleware turns a denial into a 429.
 */
import type { Cluster, Redis } from "ioredis";
import { redisKeys, type RateLimitRule, type RuleOutcome } from "@taskgate/shared";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { compileRules, type RateLimitRequest } from "./matchRules.js";
import { nextMemberId } from "./memberId.js";
import { slidingWindowScript, type SlidingWindowCommands } from "./scripts.js";

/** What the limiter does when Redis fails or is too slow: `open` admits, `closed` denies (503). */
export type RateLimitFailMode = "open" | "closed";

/** Why a decision was made without Redis: no answer in time, or an error reply / no connection. */
export type RateLimitFailure = "timeout" | "error";

/** Options of `createRateLimiter`. */
export interface RateLimiterOptions {
  /** Client for the limiter's keys; the script is registered on it once. Under Cluster see `rateLimitKeyPrefix`. */
  redis: Redis | Cluster;
  /** Prefix of every key (`KEY_PREFIX`), e.g. `tg`; keys are `<prefix>:rl:<rule>:<identity>`. */
  keyPrefix: string;
  /** Validated rules (the config's `rateLimitRules`), in configuration order. */
  rules: readonly RateLimitRule[];
  /** Behaviour when Redis does not answer in time or errors; default `open`. */
  failMode?: RateLimitFailMode | undefined;
  /** Longest wait for the script's reply before `failMode` applies, in ms; default 1000 (`REDIS_COMMAND_TIMEOUT_MS`). */
  commandTimeoutMs?: number | undefined;
  /** Wall clock for `decision.at`, in ms since the epoch; default `Date.now`. Admission itself uses Redis TIME. */
  now?: (() => number) | undefined;
}

/** The answer to one check. A denial is a value, never an exception. */
export interface RateLimitDecision {
  /** True when every matching rule admitted the request (or Redis failed in fail-open mode). */
  allowed: boolean;
  /** One per matching rule, in configuration order; empty when no rule matched or Redis failed. */
  outcomes: RuleOutcome[];
  /** The outcomes whose rule denied the request. */
  violated: RuleOutcome[];
  /** The violated rule to report: lowest `priority`, then largest `retryAfterMs`. */
  reported?: RuleOutcome | undefined;
  /** Set when Redis failed and `failMode` decided; `allowed` is then true (open) or false (closed). */
  failure?: RateLimitFailure | undefined;
  /** The error behind `failure`, for the log. */
  error?: unknown;
  /** When the check started (the `now` option's clock), in ms since the epoch; for logs and the blocked log. */
  at: number;
}

/** A limiter bound to one client, prefix and rule set. */
export interface RateLimiter {
  /** Checks and, if every rule admits, records the request: one Redis round trip, none when no rule matches. Never rejects. */
  check(request: RateLimitRequest): Promise<RateLimitDecision>;
}

/** Default of `commandTimeoutMs`, in ms (matches `REDIS_COMMAND_TIMEOUT_MS`). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;

class CommandTimeoutError extends Error {
  constructor(ms: number) {
    super(`rate-limit script got no reply within ${ms} ms`);
    this.name = "CommandTimeoutError";
  }
}

/** The violated outcome to report: lowest priority number; ties go to the longest wait. */
export function pickReported(violated: readonly RuleOutcome[]): RuleOutcome | undefined {
  let best: RuleOutcome | undefined;
  for (const outcome of violated) {
    if (
      best === undefined ||
      outcome.priority < best.priority ||
      (outcome.priority === best.priority && outcome.retryAfterMs > best.retryAfterMs)
    ) {
      best = outcome;
    }
  }
  return best;
}

// Races the reply with a timer. Promise.race subscribes to the reply, so its late rejection
// (e.g. when the connection finally drops) is handled, never unhandled.
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommandTimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The prefix the limiter's keys are built with. Under Cluster all keys of one script must share
 * a hash slot, and a request's rules count different identities, so unless `keyPrefix` already
 * holds a hash tag the keys get the tag `{rl}` (`tg:{rl}:rl:<rule>:<identity>`), as BullMQ's
 * queues get `{jobs}`. A single Redis keeps the plain `tg:rl:<rule>:<identity>`.
 */
export function rateLimitKeyPrefix(keyPrefix: string, isCluster: boolean): string {
  // Redis hashes the text between the first `{` and the next `}` when it is not empty.
  return isCluster && !/^[^{]*\{[^}]+\}/.test(keyPrefix) ? `${keyPrefix}:{rl}` : keyPrefix;
}

/** Builds a limiter and registers the script on the client (once per client). Throws if a rule's cost exceeds its limit. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, keyPrefix } = options;
  const failMode = options.failMode ?? "open";
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const matcher = compileRules(options.rules);
  const keys = redisKeys(rateLimitKeyPrefix(keyPrefix, redis.isCluster));
  defineLuaCommands(redis, [slidingWindowScript]);
  const client = redis as unknown as SlidingWindowCommands;

  function failed(failure: RateLimitFailure, error: unknown, at: number): RateLimitDecision {
    return { allowed: failMode === "open", outcomes: [], violated: [], failure, error, at };
  }

  return {
    async check(request) {
      const at = now();
      const matched = matcher.match(request);
      if (matched.length === 0) return { allowed: true, outcomes: [], violated: [], at };

      const args: (string | number)[] = [matched.length];
      for (const { rule, identity } of matched) args.push(keys.rateLimit(rule.name, identity));
      args.push(nextMemberId());
      for (const { rule } of matched) args.push(rule.limit, rule.windowMs, rule.cost);

      let reply: number[];
      try {
        reply = await withTimeout(client.slidingWindow(...args), timeoutMs);
      } catch (error) {
        // A timed-out script may still run later and record the request: that errs on the
        // side of counting, never of admitting more than the limit.
        return failed(error instanceof CommandTimeoutError ? "timeout" : "error", error, at);
      }
      if (!Array.isArray(reply) || reply.length !== 1 + 4 * matched.length) {
        return failed("error", new Error(`rate-limit script returned an unexpected reply: ${JSON.stringify(reply)}`), at);
      }

      const outcomes: RuleOutcome[] = [];
      const violated: RuleOutcome[] = [];
      for (const [i, { rule }] of matched.entries()) {
        const base = 1 + 4 * i;
        const outcome: RuleOutcome = {
          name: rule.name,
          limit: rule.limit,
          windowMs: rule.windowMs,
          remaining: reply[base + 1] as number,
          resetMs: reply[base + 2] as number,
          retryAfterMs: reply[base + 3] as number,
          allowed: reply[base] === 1,
          priority: rule.priority,
        };
        outcomes.push(outcome);
        if (!outcome.allowed) violated.push(outcome);
      }
      const allowed = reply[0] === 1;
      return allowed ? { allowed, outcomes, violated, at } : { allowed, outcomes, violated, reported: pickReported(violated), at };
    },
  };
}
