/**
 * The stored policy under the limiter, over a real Redis (or Redis Cluster): two "processes"
 * (store + cache + limiter each, sharing one prefix) — a change by one is enforced by the
 * other at its next check (the script refuses a stale version) without any poll, the periodic
 * check catches up a process that makes no checks, overrides take part in the one atomic call,
 * and a check still sends exactly one command with a policy of many overrides present.
 */
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import type { RateLimitRule } from "@taskgate/shared";
import { createAuditLog } from "../../src/audit/auditLog.js";
import { VersionConflictError } from "../../src/errors/appErrors.js";
import { createPolicyCache, createPolicyStore, createRateLimiter, replaceRules, setOverride, type StoredOverride } from "../../src/rateLimit/index.js";
import { MAX_POLICY_DOCUMENT_BYTES } from "../../src/rateLimit/policy/policyStore.js";
import { StoredPolicyError } from "../../src/rateLimit/policy/policyDoc.js";
import { slotKeyPrefix } from "../../src/redis/slotPrefix.js";
import { redisKeys } from "@taskgate/shared";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { commandsSent, connectTestRedis, type TestRedis } from "#test-support/redis.js";
import { pollUntil } from "#test-support/time.js";
import { LIMITER_DEFAULTS } from "./configDefaults.js";
import { rule } from "./support.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());
const prefix = prefixPerTest(redis);
const logger = pino({ level: "silent" });

const RULES = [rule({ name: "per-user", key: "user", limit: 3, windowMs: 60_000, routes: ["POST /jobs/email"] })];
const request = (userId: string) => ({ route: "POST /jobs/email", ip: "10.0.0.1", userId });

/** One API process's share of the policy machinery, on its own connection. */
async function apiProcess(rules: RateLimitRule[] = RULES, connection: TestRedis = redis, refreshMs = 60_000) {
  const audit = createAuditLog({ redis: connection, keyPrefix: prefix(), maxEntries: 1000 });
  const store = createPolicyStore({ redis: connection, keyPrefix: prefix(), audit });
  const cache = createPolicyCache({ store, fallbackRules: rules, refreshMs, logger });
  cache.apply(await store.seed(rules));
  const limiter = createRateLimiter({ ...LIMITER_DEFAULTS, redis: connection, keyPrefix: prefix(), policy: cache });
  return { audit, store, cache, limiter };
}

async function admitted(limiter: { check: (r: ReturnType<typeof request>) => Promise<{ allowed: boolean }> }, userId: string, count: number): Promise<number> {
  let passed = 0;
  for (let i = 0; i < count; i++) if ((await limiter.check(request(userId))).allowed) passed += 1;
  return passed;
}

describe("the policy under the limiter", () => {
  it("is enforced by another process at its next check after a change, with no poll in between", async () => {
    const a = await apiProcess();
    const b = await apiProcess();
    const changed = await a.store.update("ops", replaceRules([rule({ ...RULES[0]!, limit: 1 })], "ops", Date.now(), RULES));
    a.cache.apply(changed!);
    // b's cache still holds version 1 (its poll is a minute away): the script refuses it, b reloads.
    expect(b.cache.current().version).toBe("1");
    expect(await admitted(b.limiter, "u1", 3)).toBe(1);
    expect(b.cache.current().version).toBe("2");
  });

  it("catches up a process that makes no checks within its refresh interval", async () => {
    const a = await apiProcess();
    const b = await apiProcess(RULES, redis, 200);
    b.cache.start();
    try {
      const changed = await a.store.update("ops", replaceRules([rule({ ...RULES[0]!, limit: 9 })], "ops", Date.now(), RULES));
      const versions = await pollUntil(async () => b.cache.current().version, (version) => version === String(changed!.version), 5_000);
      expect(versions.at(-1)).toBe("2");
    } finally {
      b.cache.stop();
    }
  });

  it("applies an override to its identity only, and 0 denies that identity outright", async () => {
    const a = await apiProcess();
    const raised = await a.store.update("ops", setOverride({ rule: "per-user", identity: "user:vip", limit: 5 }, "ops", Date.now(), RULES));
    a.cache.apply(raised!);
    expect(await admitted(a.limiter, "vip", 7)).toBe(5);
    expect(await admitted(a.limiter, "regular", 7)).toBe(3);
    const denied = await a.store.update("ops", setOverride({ rule: "per-user", identity: "user:blocked", limit: 0 }, "ops", Date.now(), RULES));
    a.cache.apply(denied!);
    const decision = await a.limiter.check(request("blocked"));
    expect(decision).toMatchObject({ allowed: false, reported: { name: "per-user", limit: 0 } });
  });

  it("sends exactly one command per check with 1 000 overrides in the policy", async () => {
    const connection = connectTestRedis();
    try {
      const a = await apiProcess(RULES, connection);
      const many: StoredOverride[] = Array.from({ length: 1000 }, (_, i) => ({ rule: "per-user", identity: `user:u${i}`, limit: 10, windowMs: null, expiresAt: null, reason: null, createdAt: Date.now(), createdBy: "ops" }));
      const stored = await a.store.update("ops", (current) => ({ next: { ...current!, overrides: many }, audit: { action: "override.set", target: "bulk", details: {} } }));
      a.cache.apply(stored!);
      await a.limiter.check(request("u1")); // the first call loads the script (EVAL, then EVALSHA)
      for (const userId of ["u1", "u500", "nobody"]) {
        const { names } = await commandsSent(connection, async () => {
          expect((await a.limiter.check(request(userId))).allowed).toBe(true);
        });
        expect(names).toEqual(["evalsha"]);
      }
    } finally {
      await connection.quit();
    }
  });
});

describe("the policy store", () => {
  it("refuses a stale expectedVersion and writes nothing, not even an audit entry", async () => {
    const a = await apiProcess();
    await expect(a.store.update("ops", replaceRules(RULES, "ops", Date.now(), RULES), 0)).rejects.toBeInstanceOf(VersionConflictError);
    expect(await a.store.readVersion()).toBe(1);
    expect((await a.audit.read({ limit: 10 })).entries.map((e) => e.action)).toEqual(["policy.seed"]);
  });

  it("re-applies a change over a concurrent writer when no version is expected, so neither change is lost", async () => {
    const a = await apiProcess();
    const changes = ["a", "b", "c", "d", "e"].map((name) => a.store.update("ops", setOverride({ rule: "per-user", identity: `user:${name}`, limit: 1 }, "ops", Date.now(), RULES)));
    await Promise.all(changes);
    const stored = await a.store.read();
    expect(stored!.version).toBe(6);
    expect(stored!.overrides.map((o) => o.identity).sort()).toEqual(["user:a", "user:b", "user:c", "user:d", "user:e"]);
    // Every version has exactly one audit entry, newest first.
    expect((await a.audit.read({ limit: 10 })).entries.map((e) => e.details.version)).toEqual([6, 5, 4, 3, 2, 1]);
  });

  it("keeps each page of the audit log in order by cursor", async () => {
    const a = await apiProcess();
    for (const name of ["a", "b", "c"]) await a.store.update("ops", setOverride({ rule: "per-user", identity: `user:${name}`, limit: 1 }, "ops", Date.now(), RULES));
    const first = await a.audit.read({ limit: 2 });
    expect(first.entries.map((e) => e.target)).toEqual(["per-user/user:c", "per-user/user:b"]);
    const second = await a.audit.read({ limit: 2, cursor: first.nextCursor! });
    expect(second.entries.map((e) => e.target)).toEqual(["per-user/user:a", "policy"]);
    expect(second.nextCursor).toBeNull();
  });
});

describe("the stored document's size", () => {
  it(`refuses a change that would make the document larger than ${MAX_POLICY_DOCUMENT_BYTES} bytes, and writes nothing`, async () => {
    const { store } = await apiProcess();
    const before = await store.read();
    // 5 000 overrides with 2 000-byte reasons: about 10 MiB of JSON.
    const overrides: StoredOverride[] = Array.from({ length: 5000 }, (_, i) => ({ rule: "per-user", identity: `user:u${i}`, limit: 1, windowMs: null, expiresAt: null, reason: "r".repeat(2000), createdAt: 0, createdBy: "test" }));
    const change = () => ({ next: { ...before!, overrides }, audit: { action: "test.bulk", target: "policy", details: {} } });
    await expect(store.update("test", change)).rejects.toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringMatching(/too large/) });
    expect(await store.read()).toEqual(before);
  });
});

describe("a stored document whose rules no longer fit the schema", () => {
  /**
   * Stores, as an older version with a looser schema could have, the seeded policy with one rule
   * now out of bounds (a cost above 1 000) and an override of another rule.
   */
  async function damage(store: Awaited<ReturnType<typeof apiProcess>>["store"]): Promise<void> {
    const current = (await store.read())!;
    const keys = redisKeys(slotKeyPrefix(prefix(), redis.isCluster));
    const rules = [...current.rules, { ...current.rules[0]!, name: "expensive", cost: 5000 }];
    const overrides: StoredOverride[] = [{ rule: "per-user", identity: "user:vip", limit: 9, windowMs: null, expiresAt: null, reason: null, createdAt: 0, createdBy: "ops" }];
    await redis.set(keys.policy(), JSON.stringify({ ...current, rules, overrides }));
  }

  it("is a StoredPolicyError for a read and for a change of one override, which writes nothing", async () => {
    const { store } = await apiProcess();
    await damage(store);
    await expect(store.read()).rejects.toBeInstanceOf(StoredPolicyError);
    await expect(store.update("ops", setOverride({ rule: "per-user", identity: "user:x", limit: 1 }, "ops", Date.now(), RULES))).rejects.toBeInstanceOf(StoredPolicyError);
    expect(await store.readVersion()).toBe(1);
  });

  it("is replaced by a change of every rule, which keeps the overrides that fit and audits what did not fit", async () => {
    const { store, audit } = await apiProcess();
    await damage(store);
    const mended = await store.update("ops", replaceRules([rule({ ...RULES[0]!, limit: 7 })], "ops", Date.now(), RULES), 1, { replacesRules: true });
    expect(mended).toMatchObject({ version: 2, rules: [{ name: "per-user", limit: 7 }], overrides: [{ identity: "user:vip", limit: 9 }] });
    expect(await store.read()).toMatchObject({ version: 2, rules: [{ name: "per-user", limit: 7 }] });
    const [entry] = (await audit.read({ limit: 1 })).entries;
    expect(entry).toMatchObject({ action: "policy.set", details: { before: { damaged: expect.stringMatching(/^rules\.1\.cost: /) }, after: { rules: [{ limit: 7 }] } } });
  });

  it("keeps, when mended, only the overrides within an admin change's bounds, and says how many it dropped", async () => {
    const { store, audit } = await apiProcess();
    const current = (await store.read())!;
    const keys = redisKeys(slotKeyPrefix(prefix(), redis.isCluster));
    const base = { rule: "per-user", limit: 1, windowMs: null, expiresAt: null, reason: null, createdAt: 0, createdBy: "ops" };
    const overrides = [
      { ...base, identity: "user:kept" },
      { ...base, identity: "user:one-ms", windowMs: 1 },
      { ...base, identity: "user:soon", windowMs: "soon" },
      { ...base, identity: "user:negative", limit: -1 },
    ];
    await redis.set(keys.policy(), JSON.stringify({ ...current, rules: [{ ...current.rules[0]!, cost: 5000 }], overrides }));
    const mended = await store.update("ops", replaceRules(RULES, "ops", Date.now(), RULES), undefined, { replacesRules: true });
    expect(mended!.overrides.map((o) => o.identity)).toEqual(["user:kept"]);
    const [entry] = (await audit.read({ limit: 1 })).entries;
    expect(entry!.details.before).toEqual({ damaged: expect.stringContaining("overrides: 3 could not be read and are dropped") });
  });

  it("leaves out, in a policy whose rules fit, an override outside those bounds rather than apply it", async () => {
    const a = await apiProcess();
    const current = (await a.store.read())!;
    const keys = redisKeys(slotKeyPrefix(prefix(), redis.isCluster));
    const oneMs = { rule: "per-user", identity: "user:one-ms", limit: 1, windowMs: 1, expiresAt: null, reason: null, createdAt: 0, createdBy: "ops" };
    await redis.set(keys.policy(), JSON.stringify({ ...current, overrides: [oneMs] }));
    await redis.incr(keys.policyVersion());
    await a.cache.reload();
    expect((await a.store.read())!.overrides).toEqual([]);
    // The rule's own limit of 3 per minute applies, not a 1 ms window that would never fill.
    expect(await admitted(a.limiter, "one-ms", 5)).toBe(3);
  });

  it("is replaced, also when it is not JSON at all, by a change of every rule and at start-up", async () => {
    const first = await apiProcess();
    const keys = redisKeys(slotKeyPrefix(prefix(), redis.isCluster));
    await redis.set(keys.policy(), "{rules: oops");
    await expect(first.store.read()).rejects.toBeInstanceOf(StoredPolicyError);
    const next = await apiProcess();
    expect(await next.store.read()).toMatchObject({ version: 2, rules: RULES });
    const [entry] = (await next.audit.read({ limit: 1 })).entries;
    expect(entry).toMatchObject({ action: "policy.config", details: { before: { damaged: "the stored document is not JSON" } } });
  });

  it("is replaced at start-up by the configured rules even when they are the ones last seeded, audited as policy.config", async () => {
    const first = await apiProcess();
    await damage(first.store);
    // A process starting over it, with the same configuration.
    const next = await apiProcess();
    expect(next.cache.current().version).toBe("2");
    expect(await next.store.read()).toMatchObject({ version: 2, rules: RULES, overrides: [{ identity: "user:vip" }] });
    const [entry] = (await next.audit.read({ limit: 1 })).entries;
    expect(entry).toMatchObject({ actor: "config", action: "policy.config", details: { before: { damaged: expect.stringContaining("cost") } } });
  });
});
