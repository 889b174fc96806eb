/**
 * The changes an admin can make to the policy, as `PolicyChange`s for `PolicyStore.update`:
 * replace the rules, set or delete one override. Pure functions of the current policy; they
 * throw the 400/404 the API answers when a change does not fit.
 */
import { MAX_POLICY_OVERRIDES, type RateLimitRule } from "@taskgate/shared";
import { NotFoundError, ValidationError } from "../../errors/appErrors.js";
import { beforeOf, configHashOf, isInForce, keptOverrides, overrideMisfit, type StoredOverride, type VersionedPolicy } from "./policyDoc.js";
import type { PolicyChange } from "./policyStore.js";

/** What a change starts from when nothing is stored yet: the configured rules. */
function baseOf(current: VersionedPolicy | null, configured: readonly RateLimitRule[]) {
  return current ?? { rules: [...configured], overrides: [] as StoredOverride[], configHash: configHashOf(configured) };
}

/** Replaces the rules; overrides that no longer fit (their rule gone or keyed otherwise) leave with them. */
export function replaceRules(rules: RateLimitRule[], actor: string, nowMs: number, configured: readonly RateLimitRule[]): PolicyChange {
  return (current) => {
    const base = baseOf(current, configured);
    const overrides = keptOverrides(rules, base.overrides, nowMs);
    return {
      next: { rules, overrides, updatedAt: nowMs, updatedBy: actor, configHash: base.configHash },
      audit: { action: "policy.set", target: "policy", details: { before: current ? beforeOf(current) : { rules: base.rules }, after: { rules }, droppedOverrides: base.overrides.filter((o) => isInForce(o, nowMs)).length - overrides.length } },
    };
  };
}

/** The fields of an override as an admin sets it. */
export interface OverrideFields {
  rule: string;
  identity: string;
  limit: number;
  windowMs?: number | undefined;
  /** ms since the epoch. */
  expiresAt?: number | undefined;
  reason?: string | undefined;
}

/** Sets (or replaces) the override of `(rule, identity)`. */
export function setOverride(fields: OverrideFields, actor: string, nowMs: number, configured: readonly RateLimitRule[]): PolicyChange {
  return (current) => {
    const base = baseOf(current, configured);
    const misfit = overrideMisfit(base.rules, fields);
    const issues = [];
    if (misfit) issues.push({ path: misfit.startsWith("no rule") ? "rule" : "identity", message: misfit });
    if (fields.expiresAt !== undefined && fields.expiresAt <= nowMs) issues.push({ path: "expiresAt", message: "must be in the future" });
    if (issues.length > 0) throw new ValidationError(issues, "The override does not fit the policy.");
    const inForce = base.overrides.filter((o) => isInForce(o, nowMs));
    const before = inForce.find((o) => o.rule === fields.rule && o.identity === fields.identity) ?? null;
    const others = inForce.filter((o) => o !== before);
    if (others.length >= MAX_POLICY_OVERRIDES) throw new ValidationError([{ path: "", message: `the policy holds at most ${MAX_POLICY_OVERRIDES} overrides` }], "Too many overrides.");
    const after: StoredOverride = {
      rule: fields.rule,
      identity: fields.identity,
      limit: fields.limit,
      windowMs: fields.windowMs ?? null,
      expiresAt: fields.expiresAt ?? null,
      reason: fields.reason ?? null,
      createdAt: nowMs,
      createdBy: actor,
    };
    return {
      next: { rules: base.rules, overrides: [...others, after], updatedAt: nowMs, updatedBy: actor, configHash: base.configHash },
      audit: { action: "override.set", target: `${fields.rule}/${fields.identity}`, details: { before, after } },
    };
  };
}

/** Deletes the override of `(rule, identity)`; a 404 when none is in force. */
export function deleteOverride(rule: string, identity: string, actor: string, nowMs: number, configured: readonly RateLimitRule[]): PolicyChange {
  return (current) => {
    const base = baseOf(current, configured);
    const inForce = base.overrides.filter((o) => isInForce(o, nowMs));
    const before = inForce.find((o) => o.rule === rule && o.identity === identity);
    if (!before) throw new NotFoundError(`No override of rule '${rule}' for ${identity}.`);
    return {
      next: { rules: base.rules, overrides: inForce.filter((o) => o !== before), updatedAt: nowMs, updatedBy: actor, configHash: base.configHash },
      audit: { action: "override.delete", target: `${rule}/${identity}`, details: { before, after: null } },
    };
  };
}
