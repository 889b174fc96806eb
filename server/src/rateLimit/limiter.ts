/**
 * The rate limiter: matches a request's rules (from the policy in force, with its per-identity
 * overrides) and checks them all in one Lua call (one Redis round trip), returning a decision
 * value; only the middleware turns a denial into a 429. The script also compares the policy's
 * version, so a check never runs on a policy another process has replaced: it reloads and asks
 * again.
 */
import type { Cluster, Redis } from "ioredis";
import { redisKeys, type RateLimitRule, type RuleOutcome } from "@taskgate/shared";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { slotKeyPrefix } from "../redis/slotPrefix.js";
import { createDeadlines } from "./deadlines.js";
import { requestCost } from "./cost.js";
import type { RateLimitRequest } from "./matchRules.js";
import { nextMemberId } from "./memberId.js";
import { overrideKey, staticPolicy, type ActivePolicy, type PolicySource } from "./policy/activePolicy.js";
import { RULE_ARG_BYTES, slidingWindowScript, writeRuleArg, type SlidingWindowCommands } from "./scripts.js";

/** What the limiter does when Redis fails or is too slow: `open` admits, `closed` denies (503). */
export type RateLimitFailMode = "open" | "closed";

/** Why a decision was made without Redis: no answer in time, or an error reply / no connection. */
export type RateLimitFailure = "timeout" | "error";

/** Options of `createRateLimiter`. */
export interface RateLimiterOptions {
  /** Client for the limiter's keys; the script is registered on it once. Under Cluster see `rateLimitKeyPrefix`. */
  redis: Redis | Cluster;
  /** Prefix of every key (`KEY_PREFIX`), e.g. `tg`; keys are `<prefix>:rl:<rule>:<windowMs>:<identity>`. */
  keyPrefix: string;
  /**
   * Where the rules and overrides come from: the process's copy of the stored policy
   * (`createPolicyCache`). Give `rules` instead for a fixed rule set (tests, benchmarks).
   */
  policy?: PolicySource | undefined;
  /** A fixed rule set (validated, in configuration order), when there is no `policy`. */
  rules?: readonly RateLimitRule[] | undefined;
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
  /**
   * Shadow rules that would have denied this admitted request (they never deny; they go to the
   * blocked log as shadow). Empty when the request was denied, or no shadow rule would deny.
   */
  shadowed: RuleOutcome[];
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
  /**
   * What `check` would answer now, recording nothing: every outcome's `remaining` is what the
   * rule has left before this request (for the RateLimit headers of an answer that is not
   * charged, an idempotent replay). One Redis round trip that writes nothing, none when no rule
   * matches. Never rejects; a failure is a decision with `failure` and no outcomes, as `check`'s.
   */
  peek(request: RateLimitRequest): Promise<RateLimitDecision>;
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
 * The prefix the limiter's keys are built with: `keyPrefix`, with the hash tag `{rl}` under
 * Cluster (see `slotKeyPrefix`).
 */
export const rateLimitKeyPrefix = slotKeyPrefix;

/** How often a check reloads the policy and asks again when the script says it is stale. */
const MAX_STALE_RETRIES = 3;

/** Builds a limiter and registers the script on the client (once per client). Throws if a rule's cost exceeds its limit. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, keyPrefix, failMode, commandTimeoutMs: timeoutMs } = options;
  const now = options.now ?? Date.now;
  const source = options.policy ?? staticPolicy(options.rules ?? []);
  const keys = redisKeys(rateLimitKeyPrefix(keyPrefix, redis.isCluster));
  const versionKey = keys.policyVersion();
  defineLuaCommands(redis, [slidingWindowScript]);
  const client = redis as unknown as SlidingWindowCommands;
  // One timer for all of this limiter's pending replies instead of one per check.
  const deadlines = createDeadlines(timeoutMs, () => new CommandTimeoutError(timeoutMs));

  function failed(failure: RateLimitFailure, error: unknown, at: number): RateLimitDecision {
    return { allowed: failMode === "open", outcomes: [], violated: [], shadowed: [], failure, error, at };
  }

  /** `memberId` "" makes the script a peek: it answers as a check and writes nothing. */
  async function checkWith(policy: ActivePolicy, request: RateLimitRequest, at: number, compareVersion: boolean, memberId: string): Promise<RateLimitDecision | "stale"> {
    const matched = policy.matcher.match(request);
    const n = matched.length;
    if (n === 0) return { allowed: true, outcomes: [], violated: [], shadowed: [], at };
    const overrides = policy.overrides.size > 0 ? policy.overrides : undefined;

    // numKeys, the keys and the policy version key, the member id, the version, then the rules
    // (limit, windowMs, cost and mode of each, packed in one argument).
    const args: (string | number | Buffer)[] = new Array<string | number | Buffer>(n + 5);
    const rules = Buffer.allocUnsafe(RULE_ARG_BYTES * n);
    args[0] = n + 1;
    args[n + 1] = versionKey;
    args[n + 2] = memberId;
    args[n + 3] = compareVersion ? policy.version : "";
    args[n + 4] = rules;
    const costs: number[] = new Array<number>(n);
    const limits: number[] = new Array<number>(n);
    const windows: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const { rule, identity } = matched[i]!;
      costs[i] = requestCost(rule, request);
      const override = overrides?.get(overrideKey(rule.name, `${rule.key}:${identity}`));
      if (override && (override.expiresAt === null || override.expiresAt > at)) {
        limits[i] = override.limit;
        windows[i] = override.windowMs ?? rule.windowMs;
      } else {
        limits[i] = rule.limit;
        windows[i] = rule.windowMs;
      }
      // The window is part of the key: a set's TTL covers its entries only for the window they
      // were counted with, so an override's own window counts on a set of its own.
      args[1 + i] = keys.rateLimit(rule.name, windows[i]!, identity);
      writeRuleArg(rules, i, limits[i]!, windows[i]!, costs[i]!, rule.mode === "shadow");
    }

    let reply: (number | string)[];
    try {
      // A timed-out script may still run later and record the request: that errs on the
      // side of counting, never of admitting more than the limit.
      reply = await deadlines.race(client.slidingWindow(...args));
    } catch (error) {
      return failed(error instanceof CommandTimeoutError ? "timeout" : "error", error, at);
    }
    if (Array.isArray(reply) && reply.length === 2 && reply[0] === -1) return "stale";
    // 1 + 2n when no rule would deny (every retryAfterMs is 0 and left out), else 1 + 3n.
    const width = Array.isArray(reply) && n > 0 ? (reply.length - 1) / n : 0;
    if (!Array.isArray(reply) || (width !== 2 && width !== 3)) {
      return failed("error", new Error(`rate-limit script returned an unexpected reply: ${JSON.stringify(reply)}`), at);
    }

    const admitted = reply[0] === 1;
    const outcomes: RuleOutcome[] = [];
    const violated: RuleOutcome[] = [];
    const shadowed: RuleOutcome[] = [];
    for (let i = 0; i < n; i++) {
      const { rule } = matched[i]!;
      const base = 1 + width * i;
      const retryAfterMs = width === 3 ? (reply[base + 2] as number) : 0;
      const outcome: RuleOutcome = {
        name: rule.name,
        limit: limits[i]!,
        windowMs: windows[i]!,
        cost: costs[i]!,
        remaining: reply[base] as number,
        resetMs: reply[base + 1] as number,
        retryAfterMs,
        // The script answers retryAfterMs >= 1 for a rule that denies, 0 for one that admits.
        allowed: retryAfterMs === 0,
        priority: rule.priority,
      };
      // Shadow rules appear in no header and no 429: only their would-be denials are reported.
      if (rule.mode === "shadow") {
        if (!outcome.allowed && admitted) shadowed.push(outcome);
        continue;
      }
      outcomes.push(outcome);
      if (!outcome.allowed) violated.push(outcome);
    }
    return admitted ? { allowed: true, outcomes, violated, shadowed, at } : { allowed: false, outcomes, violated, shadowed, reported: pickReported(violated), at };
  }

  async function decide(request: RateLimitRequest, record: boolean): Promise<RateLimitDecision> {
    const at = now();
    for (let attempt = 0; ; attempt++) {
      // After a few reloads that still met a newer version (changes in quick succession),
      // check with the newest this process has rather than not at all.
      const decision = await checkWith(source.current(), request, at, attempt < MAX_STALE_RETRIES, record ? nextMemberId() : "");
      if (decision !== "stale") return decision;
      await source.reload();
    }
  }

  return {
    check: (request) => decide(request, true),
    peek: (request) => decide(request, false),
  };
}
