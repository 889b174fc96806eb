/**
 * The IETF rate-limit headers (draft-ietf-httpapi-ratelimit-headers-10) and `Retry-After`,
 * formatted from a decision's outcomes: one list item per matching rule.
 */
import type { RuleOutcome } from "@taskgate/shared";
import type { RateLimitDecision } from "./limiter.js";

// Rule names are [A-Za-z0-9_.-]; escaping anyway keeps the field valid if that ever loosens.
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

// Whole seconds, rounded up: a client that waits this long is never early. Windows need not
// be whole seconds (1500 ms → w=2).
function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** `RateLimit-Policy` value: per rule, quota `q` (its limit) and window `w` (seconds, rounded up). */
export function formatRateLimitPolicy(outcomes: readonly RuleOutcome[]): string {
  return outcomes.map((o) => `${sfString(o.name)};q=${o.limit};w=${seconds(o.windowMs)}`).join(", ");
}

/**
 * `RateLimit` value: per rule, remaining quota `r` and `t` seconds until quota comes back.
 * A sliding window has no single reset, so `t` is when the oldest counted request leaves
 * (`ceil(resetMs / 1000)`), the first moment `r` grows; with nothing counted (r = q) it is the
 * window `w`, as a fixed window would say right after a reset.
 */
export function formatRateLimit(outcomes: readonly RuleOutcome[]): string {
  return outcomes
    .map((o) => `${sfString(o.name)};r=${o.remaining};t=${o.remaining < o.limit ? seconds(o.resetMs) : seconds(o.windowMs)}`)
    .join(", ");
}

/**
 * Both headers by name (`RateLimit-Policy`, `RateLimit`), ready for `setHeader`; empty when
 * there are no outcomes (no rule matched, or Redis failed), so nothing is sent then.
 */
export function formatRateLimitHeaders(outcomes: readonly RuleOutcome[]): Record<string, string> {
  if (outcomes.length === 0) return {};
  return { "RateLimit-Policy": formatRateLimitPolicy(outcomes), RateLimit: formatRateLimit(outcomes) };
}

/**
 * `Retry-After` in whole seconds, at least 1: the longest wait among the violated rules,
 * rounded up, so a retry then can pass every one of them (barring other traffic). A decision
 * with no violated rule (e.g. fail-closed on a Redis failure) gives 1.
 */
export function retryAfterSeconds(decision: Pick<RateLimitDecision, "violated">): number {
  let longestMs = 0;
  for (const outcome of decision.violated) longestMs = Math.max(longestMs, outcome.retryAfterMs);
  return Math.max(1, seconds(longestMs));
}
