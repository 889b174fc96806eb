/**
 * The rate limiter: matches a request's rules and checks them all in one Lua call (one Redis
 * round trip), returning a decision value; only the middleware turns a denial into a 429.
 */
import type { Cluster, Redis } from "ioredis";
import { redisKeys, type RateLimitRule, type RuleOutcome } from "@taskgate/shared";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { createDeadlines } from "./deadlines.js";
import { requestCost } from "./cost.js";
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
  /** Behaviour when Redis does not answer in time or errors; required, the config's `rateLimitFailMode` (default `open`). */
  failMode: RateLimitFailMode;
  /** Longest wait for the script's reply before `failMode` applies, in ms; required, the config's `redisCommandTimeoutMs` (default 1000). */
  commandTimeoutMs: number;
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
  /**
   * Checks and, if every rule admits, records the request at its cost under each rule (see
   * `requestCost`; pass `request.recipients` for rules with `cost: "recipients"`): one Redis
   * round trip, none when no rule matches. Never rejects.
   */
  check(request: RateLimitRequest): Promise<RateLimitDecision>;
}

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
  const { redis, keyPrefix, failMode, commandTimeoutMs: timeoutMs } = options;
  const now = options.now ?? Date.now;
  const matcher = compileRules(options.rules);
  const keys = redisKeys(rateLimitKeyPrefix(keyPrefix, redis.isCluster));
  defineLuaCommands(redis, [slidingWindowScript]);
  const client = redis as unknown as SlidingWindowCommands;
  // One timer for all of this limiter's pending replies instead of one per check.
  const deadlines = createDeadlines(timeoutMs, () => new CommandTimeoutError(timeoutMs));
  // A rule's script arguments, as the strings the command is sent with, made once per rule;
  // the cost only for a fixed one (a "recipients" cost is the request's).
  const ruleArgs = new Map(
    options.rules.map((rule) => [rule, [String(rule.limit), String(rule.windowMs), typeof rule.cost === "number" ? String(rule.cost) : undefined] as const]),
  );

  function failed(failure: RateLimitFailure, error: unknown, at: number): RateLimitDecision {
    return { allowed: failMode === "open", outcomes: [], violated: [], failure, error, at };
  }

  return {
    async check(request) {
      const at = now();
      const matched = matcher.match(request);
      const n = matched.length;
      if (n === 0) return { allowed: true, outcomes: [], violated: [], at };

      // numKeys, the keys, the member id, then limit, windowMs and cost per rule.
      const args: (string | number)[] = new Array<string | number>(2 + 4 * n);
      args[0] = n;
      args[n + 1] = nextMemberId();
      const costs: number[] = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const { rule, identity } = matched[i]!;
        args[1 + i] = keys.rateLimit(rule.name, identity);
        const [limit, windowMs, fixedCost] = ruleArgs.get(rule)!;
        costs[i] = requestCost(rule, request);
        const base = n + 2 + 3 * i;
        args[base] = limit;
        args[base + 1] = windowMs;
        args[base + 2] = fixedCost ?? costs[i]!;
      }

      let reply: number[];
      try {
        // A timed-out script may still run later and record the request: that errs on the
        // side of counting, never of admitting more than the limit.
        reply = await deadlines.race(client.slidingWindow(...args));
      } catch (error) {
        return failed(error instanceof CommandTimeoutError ? "timeout" : "error", error, at);
      }
      if (!Array.isArray(reply) || reply.length !== 1 + 4 * n) {
        return failed("error", new Error(`rate-limit script returned an unexpected reply: ${JSON.stringify(reply)}`), at);
      }

      const outcomes: RuleOutcome[] = [];
      const violated: RuleOutcome[] = [];
      for (let i = 0; i < n; i++) {
        const { rule } = matched[i]!;
        const base = 1 + 4 * i;
        const outcome: RuleOutcome = {
          name: rule.name,
          limit: rule.limit,
          windowMs: rule.windowMs,
          cost: costs[i]!,
          remaining: reply[base + 1]!,
          resetMs: reply[base + 2]!,
          retryAfterMs: reply[base + 3]!,
          allowed: reply[base] === 1,
          priority: rule.priority,
        };
        outcomes.push(outcome);
        if (!outcome.allowed) violated.push(outcome);
      }
      return reply[0] === 1
        ? { allowed: true, outcomes, violated, at }
        : { allowed: false, outcomes, violated, reported: pickReported(violated), at };
    },
  };
}
