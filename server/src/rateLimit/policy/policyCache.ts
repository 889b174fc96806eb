/**
 * One API process's copy of the stored policy. It is replaced when this process changes the
 * policy (at once), when a rate-limit check meets a newer version (the script refuses a stale
 * one), and when the periodic check (every POLICY_REFRESH_MS, one GET) sees a new version — the
 * backstop for a process whose requests match no rule and so never ask the script.
 */
import type { Logger } from "pino";
import type { RateLimitRule } from "@taskgate/shared";
import { compilePolicy, type ActivePolicy, type PolicySource } from "./activePolicy.js";
import type { VersionedPolicy } from "./policyDoc.js";
import type { PolicyStore } from "./policyStore.js";

/** Options of `createPolicyCache`. */
export interface PolicyCacheOptions {
  store: Pick<PolicyStore, "read" | "readVersion">;
  /** Rules to enforce while no policy is stored (the configured ones). */
  fallbackRules: readonly RateLimitRule[];
  /** How often the stored version is checked, in ms (`POLICY_REFRESH_MS`, default 1000). */
  refreshMs: number;
  logger: Logger;
  /** Wall clock, in ms since the epoch (override expiry); default `Date.now`. */
  now?: (() => number) | undefined;
}

export interface PolicyCache extends PolicySource {
  /** Takes a policy this process just stored (or seeded), without a round trip. */
  apply(policy: VersionedPolicy): void;
  /** Starts the periodic version check (an unref'd timer). */
  start(): void;
  stop(): void;
}

export function createPolicyCache(options: PolicyCacheOptions): PolicyCache {
  const { store, logger, refreshMs } = options;
  const now = options.now ?? Date.now;
  let active: ActivePolicy = compilePolicy("", options.fallbackRules, [], now());
  /** The stored version `active` is from, or null when it is the fallback. */
  let loaded: VersionedPolicy | null = null;
  let pending: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** The earliest override expiry in `active`: the policy is recompiled then, so it stops applying on time. */
  let nextExpiry = Number.POSITIVE_INFINITY;

  function apply(policy: VersionedPolicy | null): void {
    loaded = policy;
    const at = now();
    active = policy ? compilePolicy(String(policy.version), policy.rules, policy.overrides, at) : compilePolicy("", options.fallbackRules, [], at);
    nextExpiry = Number.POSITIVE_INFINITY;
    for (const override of active.overrides.values()) if (override.expiresAt !== null && override.expiresAt < nextExpiry) nextExpiry = override.expiresAt;
  }

  function reload(): Promise<void> {
    pending ??= store
      .read()
      .then(apply)
      .catch((error: unknown) => logger.warn({ err: error }, "could not load the rate-limit policy; the previous one stays in force"))
      .finally(() => (pending = undefined));
    return pending;
  }

  async function poll(): Promise<void> {
    try {
      const version = await store.readVersion();
      if (version !== (loaded?.version ?? 0)) await reload();
    } catch (error) {
      logger.debug({ err: error }, "could not check the rate-limit policy's version");
    }
  }

  return {
    current() {
      // An override that has just expired leaves the checks now, not at the next reload.
      if (loaded && now() >= nextExpiry) apply(loaded);
      return active;
    },
    reload,
    apply,
    start() {
      timer ??= setInterval(() => void poll(), refreshMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
