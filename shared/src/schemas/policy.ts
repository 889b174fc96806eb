/**
 * The rate-limit policy changed at run time (docs/RATE_LIMITING.md, "The policy"): the rules
 * and the per-identity overrides, stored in Redis with a version; and the audit log of every
 * admin write. Inputs and outputs of `rateLimits.*` and `monitoring.audit`.
 */
import { z } from "zod";
import { streamCursor, timeInput } from "./monitoring.js";
import { rateLimitRule, rateLimitRules } from "./rateLimit.js";
import { canonicalIp } from "../ipAddress.js";

/** Most overrides one policy holds: each write rewrites the policy, and every API process reloads it. */
export const MAX_POLICY_OVERRIDES = 20_000;
/** Most rules one policy holds. */
export const MAX_POLICY_RULES = 200;

const version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Whom an override applies to: `user:<userId>` (for rules keyed by `user`) or `ip:<address>`
 * (rules keyed by `ip`; an IPv4 or IPv6 address in any spelling, kept in its canonical one:
 * `canonicalIp`, which the API applies to every request's address too).
 */
const ipAddress = z.union([z.ipv4(), z.ipv6()]);

/**
 * No control characters in the text an override stores: each would take six bytes in the
 * stored JSON (`\\u0001`), which every change rewrites and every API process reloads.
 */
const NO_CONTROL_CHARACTERS = /^[^\p{Cc}]*$/u;

export const overrideIdentity = z
  .string()
  .max(200)
  .regex(NO_CONTROL_CHARACTERS, { error: "must not contain control characters" })
  .refine((identity) => (identity.startsWith("user:") ? identity.length > 5 : identity.startsWith("ip:") && ipAddress.safeParse(identity.slice(3)).success), {
    error: "must be user:<userId> or ip:<IPv4 or IPv6 address>",
  })
  // Stored and looked up in one spelling per address, the one the API gives a request's IP.
  .transform((identity) => (identity.startsWith("ip:") ? `ip:${canonicalIp(identity.slice(3))}` : identity));

/** Input of `rateLimits.overrides.set` (`PUT /rate-limits/overrides`). */
export const overrideSetInput = z
  .object({
    /** The rule whose limit changes, by name. */
    rule: rateLimitRule.shape.name,
    identity: overrideIdentity,
    /** The identity's limit under that rule, in cost units; 0 denies it outright. */
    limit: z.number().int().min(0).max(1_000_000_000),
    /** The identity's window, in ms (1 s to 1 day); default the rule's. */
    windowMs: z.number().int().min(1000).max(86_400_000).optional(),
    /** When the override stops applying and leaves the policy; default never. Must be in the future. */
    expiresAt: timeInput.optional(),
    /** Why, for whoever reads the policy later (at most 500 characters). */
    reason: z.string().max(500).regex(NO_CONTROL_CHARACTERS, { error: "must not contain control characters" }).optional(),
  })
  .strict();
export type OverrideSetInput = z.input<typeof overrideSetInput>;

/** Input of `rateLimits.overrides.delete` (`DELETE /rate-limits/overrides/:rule/:identity`). */
export const overrideDeleteInput = z.object({ rule: rateLimitRule.shape.name, identity: overrideIdentity }).strict();

/** Input of `rateLimits.policy.set` (`PUT /rate-limits/policy`). */
export const policySetInput = z
  .object({
    /** The whole rule set, validated as at start-up: a bad rule refuses the set, naming every bad field. */
    rules: rateLimitRules.refine((rules) => rules.length <= MAX_POLICY_RULES, { error: `at most ${MAX_POLICY_RULES} rules` }),
    /** The version this change is based on; another current version is a 409 VERSION_CONFLICT. Default: any. */
    expectedVersion: version.optional(),
  })
  .strict();
export type PolicySetInput = z.input<typeof policySetInput>;

/** One override as the policy holds it. */
export const rateLimitOverride = z.object({
  rule: z.string(),
  identity: z.string(),
  limit: z.number(),
  /** Null: the rule's window. */
  windowMs: z.number().nullable(),
  /** Null: never expires. */
  expiresAt: z.date().nullable(),
  reason: z.string().nullable(),
  createdAt: z.date(),
  createdBy: z.string(),
});
export type RateLimitOverride = z.infer<typeof rateLimitOverride>;

/** The policy: `GET /rate-limits/policy`, and the answer of every change. */
export const rateLimitPolicy = z.object({
  /** Grows by one with every change; 0 before anything was stored. */
  version,
  updatedAt: z.date(),
  /** The admin's user id, `open-mode`, or `config` when seeded from configuration. */
  updatedBy: z.string(),
  rules: z.array(rateLimitRule),
  /** Overrides in force (expired ones are gone), oldest first. */
  overrides: z.array(rateLimitOverride),
});
export type RateLimitPolicy = z.infer<typeof rateLimitPolicy>;

/** Input of `monitoring.audit` (`GET /monitoring/audit`). */
export const auditQueryInput = z
  .object({
    /** Most entries returned; default 50, at most 500. */
    limit: z.coerce.number<string | number>().int().min(1).max(500).default(50),
    /** `nextCursor` of the previous page (older entries follow). */
    cursor: streamCursor.optional(),
  })
  .prefault({});
export type AuditQueryInput = z.input<typeof auditQueryInput>;

/** One admin write. */
export const auditEntry = z.object({
  at: z.date(),
  /** The admin key's user id, `open-mode`, or `config`. */
  actor: z.string(),
  /** What was done: `policy.set`, `policy.seed`, `override.set`, `override.delete`, `deadJobs.retry`, … */
  action: z.string(),
  /** What it was done to: `policy`, `<rule>/<identity>`, `email/<jobId>`, … */
  target: z.string(),
  /** Before and after, counts, versions: what the action changed. */
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof auditEntry>;

/** The answer of `monitoring.audit`: newest first. */
export const auditPage = z.object({
  entries: z.array(auditEntry),
  /** Pass as `cursor` for older entries; null when none are left. */
  nextCursor: z.string().nullable(),
});
export type AuditPage = z.infer<typeof auditPage>;
