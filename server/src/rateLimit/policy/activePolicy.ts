/**
 * The policy as a process enforces it: its rules compiled for matching, its overrides in force
 * by `(rule, identity)`, and the version the rate-limit script compares. Built once per version,
 * so a check does a map lookup per matched rule, whatever the number of overrides.
 */
import type { RateLimitRule } from "@taskgate/shared";
import { compileRules, type RuleMatcher } from "../matchRules.js";
import { isInForce, type StoredOverride } from "./policyDoc.js";

/** What an override changes for one identity under one rule. */
export interface ActiveOverride {
  limit: number;
  /** Null: the rule's window. */
  windowMs: number | null;
  /** When it stops applying, in ms since the epoch; null = never. */
  expiresAt: number | null;
}

/** One version of the policy, ready for checks. */
export interface ActivePolicy {
  /** The stored version, as the script compares it; "" = not from the store (no comparison). */
  readonly version: string;
  readonly matcher: RuleMatcher;
  /** Overrides by `overrideKey(rule, identity)`. */
  readonly overrides: ReadonlyMap<string, ActiveOverride>;
}

/** The map key of an override: rule name and `user:<id>` / `ip:<address>`. */
export function overrideKey(rule: string, identity: string): string {
  return `${rule}\n${identity}`;
}

/** Compiles one version; overrides already expired at `nowMs` are left out. */
export function compilePolicy(version: string, rules: readonly RateLimitRule[], overrides: readonly StoredOverride[], nowMs: number): ActivePolicy {
  const active = new Map<string, ActiveOverride>();
  for (const override of overrides) {
    if (isInForce(override, nowMs)) active.set(overrideKey(override.rule, override.identity), { limit: override.limit, windowMs: override.windowMs, expiresAt: override.expiresAt });
  }
  return { version, matcher: compileRules(rules), overrides: active };
}

/** Where a limiter gets the policy to check against. */
export interface PolicySource {
  /** The policy to check with now. */
  current(): ActivePolicy;
  /** Loads the stored policy again (after a check met a newer version); resolves when `current()` has it. */
  reload(): Promise<void>;
}

/** A policy that never changes: the given rules, no overrides, no version comparison. */
export function staticPolicy(rules: readonly RateLimitRule[]): PolicySource {
  const policy = compilePolicy("", rules, [], 0);
  return { current: () => policy, reload: () => Promise.resolve() };
}
