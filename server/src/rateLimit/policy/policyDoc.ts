/**
 * The stored rate-limit policy as plain data: its JSON form in Redis, the public form the API
 * answers with, and the rules an override must fit. Pure functions, no I/O.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { overrideIdentity, overrideSetInput, rateLimitRules, type RateLimitPolicy, type RateLimitRule } from "@taskgate/shared";

/** One override as stored (times in ms since the epoch). */
export interface StoredOverride {
  rule: string;
  identity: string;
  limit: number;
  windowMs: number | null;
  expiresAt: number | null;
  reason: string | null;
  createdAt: number;
  createdBy: string;
}

/** The policy document, as stored in Redis (the version is a key of its own). */
export interface StoredPolicy {
  rules: RateLimitRule[];
  overrides: StoredOverride[];
  updatedAt: number;
  updatedBy: string;
  /** Hash of the configured rules this policy was last seeded from (see `configHashOf`). */
  configHash: string;
}

/** A stored policy with its version. */
export interface VersionedPolicy extends StoredPolicy {
  version: number;
  /**
   * Set only on the stand-in for a stored document whose rules do not fit the schema, which a
   * change that replaces every rule is given (`PolicyStore.update`'s `replacesRules`): what does
   * not fit. Its `rules` are then empty and its `overrides` those that could be read.
   */
  damaged?: string;
}

/** A stable hash of a rule set, to tell at start-up whether the configured rules changed. */
export function configHashOf(rules: readonly RateLimitRule[]): string {
  return createHash("sha256").update(JSON.stringify(rules)).digest("hex");
}

/** Whether an override is still in force at `nowMs`. */
export function isInForce(override: Pick<StoredOverride, "expiresAt">, nowMs: number): boolean {
  return override.expiresAt === null || override.expiresAt > nowMs;
}

/** The stored policy document does not fit the rule schema (damaged by hand, or a stricter schema after an upgrade). */
export class StoredPolicyError extends Error {
  override readonly name = "StoredPolicyError";
  constructor(problems: string) {
    super(`the stored rate-limit policy does not fit the rule schema: ${problems}`);
  }
}

/**
 * Reads a stored document back as far as it can (the rules go through the same schema as at
 * start-up): the policy, or, when its rules do not fit the
 * schema or it is not JSON at all, what is wrong and everything else that could be read (rules
 * empty). An override that does not fit the bounds an admin's change is held to is left out
 * (it would otherwise apply, a window of 1 ms lifting its identity's limit); how many were is
 * part of the problems when the rules are damaged too, since such a document is then replaced.
 */
export function readStoredPolicy(json: string): { policy: StoredPolicy; problems?: string } {
  let raw: Partial<StoredPolicy>;
  try {
    const parsed: unknown = JSON.parse(json);
    raw = typeof parsed === "object" && parsed !== null ? (parsed as Partial<StoredPolicy>) : {};
  } catch {
    return { policy: { rules: [], overrides: [], updatedAt: 0, updatedBy: "", configHash: "" }, problems: "the stored document is not JSON" };
  }
  const parsed = rateLimitRules.safeParse(raw.rules);
  const stored = Array.isArray(raw.overrides) ? (raw.overrides as unknown[]) : [];
  const overrides = stored.filter(isStoredOverride);
  const rest = { overrides, updatedAt: Number(raw.updatedAt) || 0, updatedBy: String(raw.updatedBy ?? ""), configHash: String(raw.configHash ?? "") };
  if (parsed.success) return { policy: { rules: parsed.data, ...rest } };
  // Not zod's error: a stored document that does not fit is this server's fault, not the
  // caller's (a raw zod error would be answered as the request's own 400, naming its fields).
  const problems = parsed.error.issues.map((issue) => `rules.${issue.path.join(".")}: ${issue.message}`);
  const unreadable = stored.length - overrides.length;
  if (unreadable > 0) problems.push(`overrides: ${unreadable} could not be read and are dropped`);
  return { policy: { rules: [], ...rest }, problems: problems.join("; ") };
}

/** An override as stored, within the bounds `overrideSetInput` holds an admin's change to. */
const storedOverride = z.object({
  rule: overrideSetInput.shape.rule,
  identity: overrideIdentity,
  limit: overrideSetInput.shape.limit,
  windowMs: overrideSetInput.shape.windowMs.unwrap().nullable(),
  expiresAt: z.number().finite().nullable(),
  reason: z.string().max(500).nullable(),
  createdAt: z.number().finite(),
  createdBy: z.string(),
});

function isStoredOverride(value: unknown): value is StoredOverride {
  return storedOverride.safeParse(value).success;
}

/**
 * Why an override does not fit the rule set (`undefined` when it does): the rule must exist and
 * be keyed by what the identity names (`user:` → a `user` rule, `ip:` → an `ip` rule).
 */
export function overrideMisfit(rules: readonly RateLimitRule[], override: Pick<StoredOverride, "rule" | "identity">): string | undefined {
  const rule = rules.find((candidate) => candidate.name === override.rule);
  if (!rule) return `no rule is named '${override.rule}'`;
  const kind = override.identity.slice(0, override.identity.indexOf(":"));
  if (rule.key !== kind) return `rule '${rule.name}' counts by ${rule.key}; a ${kind}: identity does not fit it (only user and ip rules take overrides)`;
  return undefined;
}

/** The overrides that still fit `rules` and are in force at `nowMs`: what survives a rule change. */
export function keptOverrides(rules: readonly RateLimitRule[], overrides: readonly StoredOverride[], nowMs: number): StoredOverride[] {
  return overrides.filter((override) => isInForce(override, nowMs) && overrideMisfit(rules, override) === undefined);
}

/** The policy as the API shows it at `nowMs`: expired overrides are gone. */
export function toPublicPolicy(policy: VersionedPolicy, nowMs: number): RateLimitPolicy {
  return {
    version: policy.version,
    updatedAt: new Date(policy.updatedAt),
    updatedBy: policy.updatedBy,
    rules: policy.rules,
    overrides: policy.overrides
      .filter((override) => isInForce(override, nowMs))
      .map((override) => ({
        rule: override.rule,
        identity: override.identity,
        limit: override.limit,
        windowMs: override.windowMs,
        expiresAt: override.expiresAt === null ? null : new Date(override.expiresAt),
        reason: override.reason,
        createdAt: new Date(override.createdAt),
        createdBy: override.createdBy,
      })),
  };
}

/** The audit entry's `before` of a change that replaces the rules: the rules, or what did not fit. */
export function beforeOf(current: VersionedPolicy): { rules: StoredPolicy["rules"] } | { damaged: string } {
  return current.damaged !== undefined ? { damaged: current.damaged } : { rules: current.rules };
}
