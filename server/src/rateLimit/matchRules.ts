/**
 * Which rate-limit rules apply to a request, and whom each one counts. Rules are compiled once
 * at start-up so the per-request work is a few string comparisons.
 */
import { sha256Hex, type RateLimitRule } from "@taskgate/shared";

/** What the limiter needs to know about a request. */
export interface RateLimitRequest {
  /** The REST alias of the route, e.g. `POST /jobs/email` (a tRPC call passes its alias). */
  route: string;
  /** Client IP as Express derived it (see `TRUST_PROXY`). */
  ip: string;
  /** Authenticated user; absent in open mode. `user` rules skip requests without one. */
  userId?: string | undefined;
  /** The caller's API key in clear; only its SHA-256 reaches Redis. `apiKey` rules skip requests without one. */
  apiKey?: string | undefined;
  /** Tier of the caller's API key; absent = matches no tier-restricted rule. */
  tier?: string | undefined;
  /**
   * Recipients of a mail request (`to` + `cc` + `bcc`, see `recipientCount`): its cost under a
   * rule with `cost: "recipients"`. Absent = not a mail; such a rule then charges 1. Rules with
   * a numeric cost ignore it.
   */
  recipients?: number | undefined;
}

/** A rule that applies to a request, with the identity it counts the request under. */
export interface MatchedRule {
  rule: RateLimitRule;
  /** `ip` → the IP, `user` → the user id, `apiKey` → hex SHA-256 of the key, `global` → `global`. */
  identity: string;
}

/** Rules compiled for matching; build once with `compileRules`. */
export interface RuleMatcher {
  /** The rules, in configuration order (matches come back in this order). */
  readonly rules: readonly RateLimitRule[];
  /** Rules that apply to the request, in configuration order. */
  match(request: RateLimitRequest): MatchedRule[];
}

interface CompiledRule {
  rule: RateLimitRule;
  /** Undefined = every route. */
  exact: ReadonlySet<string> | undefined;
  prefixes: readonly string[];
  tiers: ReadonlySet<string> | undefined;
}

/** Hex SHA-256 of an API key: rate-limit keys name the caller without storing its secret. */
export function hashApiKey(apiKey: string): string {
  // Callers' keys are the configured ones, a small fixed set: each is hashed once. The bound
  // keeps the cache small should other strings ever come through.
  let hashed = hashedApiKeys.get(apiKey);
  if (hashed === undefined) {
    hashed = sha256Hex(apiKey);
    if (hashedApiKeys.size < MAX_HASHED_API_KEYS) hashedApiKeys.set(apiKey, hashed);
  }
  return hashed;
}

/** API keys whose hash is kept; far above any realistic API_KEYS list. */
const MAX_HASHED_API_KEYS = 4096;
const hashedApiKeys = new Map<string, string>();

function compileRule(rule: RateLimitRule): CompiledRule {
  // The schema refuses a fixed cost > limit; a rule built in code could still slip past it, and
  // the script could then never admit anything under it. ("recipients" varies per request.)
  if (typeof rule.cost === "number" && rule.cost > rule.limit) throw new Error(`rate-limit rule '${rule.name}': cost ${rule.cost} exceeds limit ${rule.limit}`);
  const routes = rule.routes;
  const all = routes === undefined || routes.includes("*");
  return {
    rule,
    exact: all ? undefined : new Set(routes.filter((route) => !route.endsWith("*"))),
    prefixes: all ? [] : routes.filter((route) => route.endsWith("*")).map((route) => route.slice(0, -1)),
    tiers: rule.tiers === undefined ? undefined : new Set(rule.tiers),
  };
}

function routeMatches(compiled: CompiledRule, route: string): boolean {
  if (compiled.exact === undefined || compiled.exact.has(route)) return true;
  for (const prefix of compiled.prefixes) if (route.startsWith(prefix)) return true;
  return false;
}

/** Compiles rules once; throws if a rule's fixed cost exceeds its limit (the config schema forbids it). */
export function compileRules(rules: readonly RateLimitRule[]): RuleMatcher {
  const compiled = rules.map(compileRule);
  return {
    rules,
    match(request) {
      const matched: MatchedRule[] = [];
      // Hashed at most once per request, and only when an apiKey rule applies.
      let apiKeyHash: string | undefined;
      for (const entry of compiled) {
        if (!routeMatches(entry, request.route)) continue;
        if (entry.tiers !== undefined && (request.tier === undefined || !entry.tiers.has(request.tier))) continue;
        const { rule } = entry;
        switch (rule.key) {
          case "ip":
            matched.push({ rule, identity: request.ip });
            break;
          case "user":
            if (request.userId) matched.push({ rule, identity: request.userId });
            break;
          case "apiKey":
            if (request.apiKey) matched.push({ rule, identity: (apiKeyHash ??= hashApiKey(request.apiKey)) });
            break;
          case "global":
            matched.push({ rule, identity: "global" });
            break;
        }
      }
      return matched;
    },
  };
}

/** One-off matching (compiles on every call; use `compileRules` on the request path). */
export function matchRules(rules: readonly RateLimitRule[], request: RateLimitRequest): MatchedRule[] {
  return compileRules(rules).match(request);
}
