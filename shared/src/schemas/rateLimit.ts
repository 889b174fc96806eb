/**
 * Rate-limit rules as users write them (`RATE_LIMIT_RULES`), and the limiter's public answers.
 */
import { z } from "zod";

/** What a rule counts requests by. */
export const RATE_LIMIT_KEYS = ["ip", "user", "apiKey", "global"] as const;
export type RateLimitKey = (typeof RATE_LIMIT_KEYS)[number];

/** Whether a rule denies (`enforce`) or only records what it would deny (`shadow`). */
export const RULE_MODES = ["enforce", "shadow"] as const;
export type RuleMode = (typeof RULE_MODES)[number];

/** The `cost` of a rule that charges a mail request once per recipient. */
export const RECIPIENTS_COST = "recipients";

/**
 * Most cost units a rule may charge one request (1 000). The limiter records one sorted-set
 * member per unit, so a request's Redis work grows with its cost: without a bound, one rule
 * with a cost of 10^8 made a single admitted request block Redis for minutes. A mail's
 * recipients cost stays far below it (at most three lists of `MAX_RECIPIENTS`).
 */
export const MAX_RULE_COST = 1000;

/** One rate-limit rule. */
export const rateLimitRule = z
  .object({
    /** Unique name, reported in headers, 429 bodies and the blocked log. */
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: "names are 1-64 letters, digits, '_', '.' or '-'" }),
    /** What is counted. A `user` rule does not apply to a request without a user. */
    key: z.enum(RATE_LIMIT_KEYS),
    /** Most cost admitted in any window. */
    limit: z.number().int().positive(),
    /** Window length, in ms (at least 1 s, at most 1 day). */
    windowMs: z.number().int().min(1000).max(86_400_000),
    /** Routes by REST alias (`POST /jobs/email`), `*` allowed at the end. Default: all routes. */
    routes: z.array(z.string().regex(/^(\*|[A-Z]+ \/[^\s]*)$/, { error: "a route is 'METHOD /path', optionally ending in *" })).min(1).optional(),
    /** API-key tiers the rule applies to. Default: all callers. */
    tiers: z.array(z.string().min(1)).min(1).optional(),
    /** Lower wins when several rules deny; default 100. */
    priority: z.number().int().default(100),
    /**
     * Cost units one request consumes, default 1: a positive integer (at most `limit` and at
     * most `MAX_RULE_COST`, 1 000), or
     * `"recipients"`, which charges a mail request once per address in `to`, `cc` and `bcc`
     * (any other request 1). A request costing more than `limit` is always denied.
     */
    cost: z
      .union([z.number().int().positive().max(MAX_RULE_COST, { error: `cost is at most ${MAX_RULE_COST}` }), z.literal(RECIPIENTS_COST)], { error: 'cost is a positive integer or "recipients"' })
      .default(1),
    /**
     * `enforce` (default) denies over the limit; `shadow` is checked and recorded in the same
     * atomic step as if enforced but never denies: its would-be denials go to the blocked log
     * marked `shadow`, and it appears in no `RateLimit` header and no 429.
     */
    mode: z.enum(RULE_MODES).default("enforce"),
  })
  .strict()
  // A fixed cost above the limit could never be admitted: a configuration mistake. A per-request
  // cost above it is the request's own (too many recipients), and only that request is denied.
  .refine((rule) => typeof rule.cost !== "number" || rule.cost <= rule.limit, { error: "cost must not exceed limit", path: ["cost"] });
export type RateLimitRule = z.output<typeof rateLimitRule>;
export type RateLimitRuleInput = z.input<typeof rateLimitRule>;

export const rateLimitRules = z.array(rateLimitRule).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  for (const [index, rule] of rules.entries()) {
    if (seen.has(rule.name)) ctx.addIssue({ code: "custom", path: [index, "name"], message: `duplicate rule name '${rule.name}'` });
    seen.add(rule.name);
  }
});

/** Rules used when `RATE_LIMIT_RULES` is unset: generous per-IP and per-user ceilings. */
export const DEFAULT_RATE_LIMIT_RULES: RateLimitRuleInput[] = [
  { name: "ip-default", key: "ip", limit: 300, windowMs: 60_000, priority: 100 },
  {
    name: "email-per-user",
    key: "user",
    limit: 60,
    windowMs: 60_000,
    routes: ["POST /jobs/email", "POST /jobs/email/schedule"],
    priority: 10,
  },
];

/** One rule's state after a check, as the headers and the 429 body report it. */
export interface RuleOutcome {
  name: string;
  limit: number;
  windowMs: number;
  /** What this request cost under the rule, in cost units (its `cost`, or its recipients). */
  cost: number;
  /** Cost still admissible in the current window after this request. */
  remaining: number;
  /** Ms until the window has fully room again (the oldest counted request leaves). */
  resetMs: number;
  /**
   * Ms until this request could pass this rule; 0 when it passed. When `cost > limit` it never
   * can, and this is the whole window.
   */
  retryAfterMs: number;
  allowed: boolean;
  priority: number;
}
