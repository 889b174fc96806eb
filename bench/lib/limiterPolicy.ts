/**
 * The limiter benchmark's stored-policy rows: a limiter that checks against a policy in Redis
 * (store + per-process cache, as the API wires it), optionally holding many overrides written in
 * one change, and the rotation of identities its checks use (a few of them overridden).
 */
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import { pino } from "pino";
import { CONFIG_DEFAULTS, redisKeys, type RateLimitRule } from "@taskgate/shared";
import {
  createPolicyCache,
  createPolicyStore,
  createRateLimiter,
  type PolicyCache,
  type RateLimiter,
  type RateLimitRequest,
  type StoredOverride,
} from "../../server/src/rateLimit/index.js";
import { median } from "./table.js";

/** Users and IPs the checks take in turn (request i is identity i % IDENTITIES). */
export const IDENTITIES = 20;
/** An overridden identity's limit: still never reached, but not the rule's. */
export const OVERRIDE_LIMIT = 500_000_000;

const userOf = (i: number) => `bench-user-${i}`;
const ipOf = (i: number) => `127.0.1.${i}`;
/** Of the rotation, users 0 and 10 and IPs 5 and 15 are overridden: 4 requests in 20 meet one override, 16 none. */
const userOverridden = (i: number) => i % 10 === 0;
const ipOverridden = (i: number) => i % 10 === 5;

/** One request of the rotation and the limit each rule must report for it. */
export interface RotationStep {
  request: RateLimitRequest;
  /** Rule name → expected limit; checks fail the run on any other. */
  limits: ReadonlyMap<string, number>;
}

/** The rotation, for rules keyed by ip, user and global; `overridden` says whether the policy holds the overrides. */
export function rotation(rules: readonly RateLimitRule[], overridden: boolean): RotationStep[] {
  return Array.from({ length: IDENTITIES }, (_, i) => {
    const limits = new Map<string, number>();
    for (const rule of rules) {
      const hit = overridden && ((rule.key === "user" && userOverridden(i)) || (rule.key === "ip" && ipOverridden(i)));
      limits.set(rule.name, hit ? OVERRIDE_LIMIT : rule.limit);
    }
    return { request: { route: "POST /jobs/email", ip: ipOf(i), userId: userOf(i) }, limits };
  });
}

/** `total` overrides: the rotation's 4 (see above), the rest for users and IPs that never send a request. */
function benchOverrides(rules: readonly RateLimitRule[], total: number, nowMs: number): StoredOverride[] {
  const userRule = rules.find((r) => r.key === "user")!.name;
  const ipRule = rules.find((r) => r.key === "ip")!.name;
  const make = (rule: string, identity: string): StoredOverride => ({ rule, identity, limit: OVERRIDE_LIMIT, windowMs: null, expiresAt: null, reason: "bench", createdAt: nowMs, createdBy: "bench" });
  const overrides: StoredOverride[] = [];
  for (let i = 0; i < IDENTITIES; i++) {
    if (userOverridden(i)) overrides.push(make(userRule, `user:${userOf(i)}`));
    if (ipOverridden(i)) overrides.push(make(ipRule, `ip:${ipOf(i)}`));
  }
  for (let n = 0; overrides.length < total; n++) {
    overrides.push(n % 2 === 0 ? make(userRule, `user:other-${n}`) : make(ipRule, `ip:10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`));
  }
  return overrides;
}

/** A limiter on a stored policy, and what its set-up measured. */
export interface PolicyLimiter {
  limiter: RateLimiter;
  cache: PolicyCache;
  /** The stored version the limiter checks with. */
  version: number;
  /** Size of the stored policy document, in bytes. */
  docBytes: number;
  /** The one write that stored the overrides (read, change, compare-and-set), in ms; 0 without overrides. */
  writeMs: number;
  /** Median time of a reload (one MGET of the whole policy, parse, compile), in ms. */
  reloadMs: number;
}

/**
 * Seeds a policy of `rules` under `keyPrefix` (version 1), adds `overrides` overrides in one
 * change (version 2) when asked, and builds a limiter on it. The cache's periodic version check
 * is not started: one GET a second would blur `cmds/op` and nothing else.
 */
export async function policyLimiter(options: { redis: Redis; keyPrefix: string; rules: readonly RateLimitRule[]; overrides: number }): Promise<PolicyLimiter> {
  const { redis, keyPrefix, rules } = options;
  const keys = redisKeys(keyPrefix);
  const store = createPolicyStore({ redis, keyPrefix, audit: { key: keys.auditLog(), maxEntries: CONFIG_DEFAULTS.auditLogMax } });
  const cache = createPolicyCache({ store, fallbackRules: rules, refreshMs: CONFIG_DEFAULTS.policyRefreshMs, logger: pino({ level: "silent" }) });
  let policy = await store.seed(rules);
  let writeMs = 0;
  if (options.overrides > 0) {
    const started = performance.now();
    const updated = await store.update("bench", (current) => {
      if (!current) throw new Error("the bench policy was not seeded");
      const at = Date.now();
      return {
        next: { rules: current.rules, overrides: benchOverrides(current.rules, options.overrides, at), updatedAt: at, updatedBy: "bench", configHash: current.configHash },
        audit: { action: "override.set", target: "bench", details: { overrides: options.overrides } },
      };
    });
    writeMs = performance.now() - started;
    if (!updated) throw new Error("the bench overrides were not stored");
    policy = updated;
  }
  cache.apply(policy);
  if (cache.current().overrides.size !== options.overrides) throw new Error(`the policy holds ${cache.current().overrides.size} overrides in force, not ${options.overrides}`);

  const reloads: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await cache.reload();
    reloads.push(performance.now() - started);
  }
  if (cache.current().version !== String(policy.version)) throw new Error(`the cache holds version ${cache.current().version}, not ${policy.version}`);

  const limiter = createRateLimiter({ failMode: CONFIG_DEFAULTS.rateLimitFailMode, commandTimeoutMs: CONFIG_DEFAULTS.redisCommandTimeoutMs, redis, keyPrefix, policy: cache });
  return { limiter, cache, version: policy.version, docBytes: await redis.strlen(keys.policy()), writeMs, reloadMs: median(reloads) };
}
