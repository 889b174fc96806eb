/**
 * The rate-limit policy changed at run time over HTTP (docs/RATE_LIMITING.md, "The policy"):
 * read and replace it with optimistic concurrency, per-identity overrides (deny-list and
 * expiry), shadow rules, seeding and restart semantics, and the audit log of every write.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createClient, TaskgateError } from "@taskgate/client";
import { MAX_RULE_COST, redisKeys } from "@taskgate/shared";
import { slotKeyPrefix } from "../../server/src/redis/slotPrefix.js";
import { parseList } from "#test-support/structuredFields.js";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, USER_B, type StackOptions, type TestStack } from "#test-support/stack.js";
import { dropPrefixes, keysMatching, randomPrefix, type TestRedis } from "#test-support/redis.js";
import { pollUntil, sleep } from "#test-support/time.js";

let stacks: TestStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  stacks = [];
});

const EMAIL_RULE = { name: "email-per-user", key: "user", limit: 2, windowMs: 60_000, routes: ["POST /jobs/email"], priority: 10 };

async function stackWith(rules: unknown[], options: StackOptions = {}) {
  const stack = await startStack({ worker: false, ...options, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify(rules), ...options.env } });
  stacks.push(stack);
  return stack;
}

const mail = { to: "a@example.com", subject: "s", text: "t" };

interface Policy {
  version: number;
  updatedBy: string;
  rules: Array<{ name: string; limit: number; mode: string }>;
  overrides: Array<{ rule: string; identity: string; limit: number; reason: string | null; expiresAt: string | null }>;
}
interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

async function policyOf(stack: TestStack): Promise<Policy> {
  const res = await stack.request("GET", "/rate-limits/policy", { key: ADMIN.key });
  expect(res.status).toBe(200);
  return (await res.json()) as Policy;
}

async function auditOf(stack: TestStack): Promise<AuditEntry[]> {
  const res = await stack.request("GET", "/monitoring/audit?limit=100", { key: ADMIN.key });
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: AuditEntry[] }).entries;
}

/** Statuses of `count` mails sent one after another by the key's user. */
async function send(stack: TestStack, key: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await stack.request("POST", "/jobs/email", { key, body: mail });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

describe("the stored policy", () => {
  it("is seeded from the configured rules as version 1, audited as config, and shown to admins only", async () => {
    const stack = await stackWith([EMAIL_RULE]);
    const policy = await policyOf(stack);
    expect(policy).toMatchObject({ version: 1, updatedBy: "config", overrides: [] });
    expect(policy.rules).toEqual([expect.objectContaining({ name: "email-per-user", limit: 2, mode: "enforce" })]);
    expect((await stack.request("GET", "/rate-limits/policy", { key: USER_A.key })).status).toBe(403);
    expect((await stack.request("GET", "/rate-limits/policy")).status).toBe(401);
    const [seed] = await auditOf(stack);
    expect(seed).toMatchObject({ actor: "config", action: "policy.seed", target: "policy" });
  });

  it("answers a stored policy that no longer fits the rule schema as the server's 500, naming none of its fields", async () => {
    const stack = await stackWith([EMAIL_RULE]);
    await policyOf(stack);
    const redis = stack.api.deps.redis as TestRedis;
    const [key] = (await keysMatching(redis, `${stack.prefix}*:policy`)).filter((name) => name.endsWith(":policy"));
    const doc = JSON.parse((await redis.get(key!))!) as { rules: Array<{ limit: number }> };
    doc.rules[0]!.limit = -1;
    await redis.set(key!, JSON.stringify(doc));
    const res = await stack.request("GET", "/rate-limits/policy", { key: ADMIN.key });
    expect(res.status).toBe(500);
    const problem = (await res.json()) as { code: string; errors?: unknown };
    expect(problem.code).toBe("INTERNAL");
    expect(problem.errors).toBeUndefined();
  });

  it("replaces the rules under optimistic concurrency; a stale expectedVersion is a 409 and changes nothing", async () => {
    const stack = await stackWith([EMAIL_RULE]);
    const lowered = { ...EMAIL_RULE, limit: 1 };
    const res = await stack.request("PUT", "/rate-limits/policy", { key: ADMIN.key, body: { rules: [lowered], expectedVersion: 1 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: 2, updatedBy: ADMIN.userId, rules: [expect.objectContaining({ limit: 1 })] });
    // This process enforces it at once.
    expect(await send(stack, USER_A.key, 2)).toEqual([202, 429]);

    const stale = await stack.request("PUT", "/rate-limits/policy", { key: ADMIN.key, body: { rules: [{ ...EMAIL_RULE, limit: 50 }], expectedVersion: 1 } });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ code: "VERSION_CONFLICT", currentVersion: 2, expectedVersion: 1 });
    expect(await policyOf(stack)).toMatchObject({ version: 2, rules: [expect.objectContaining({ limit: 1 })] });

    const [entry] = await auditOf(stack);
    expect(entry).toMatchObject({ actor: ADMIN.userId, action: "policy.set", target: "policy" });
    expect(entry!.details).toMatchObject({ version: 2, before: { rules: [expect.objectContaining({ limit: 2 })] }, after: { rules: [expect.objectContaining({ limit: 1 })] } });
  });

  it("refuses a bad rule set whole, naming every bad field, and changes nothing", async () => {
    const stack = await stackWith([EMAIL_RULE]);
    const res = await stack.request("PUT", "/rate-limits/policy", {
      key: ADMIN.key,
      body: { rules: [{ name: "bad", key: "nobody", limit: -1, windowMs: 5 }, EMAIL_RULE, { ...EMAIL_RULE, cost: 0 }] },
    });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; errors: Array<{ path: string }> };
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors.map((e) => e.path)).toEqual(expect.arrayContaining(["rules.0.key", "rules.0.limit", "rules.0.windowMs", "rules.2.cost"]));
    // Rules valid one by one but not together (a name twice) are refused too.
    const twice = await stack.request("PUT", "/rate-limits/policy", { key: ADMIN.key, body: { rules: [EMAIL_RULE, EMAIL_RULE] } });
    expect(twice.status).toBe(400);
    expect(((await twice.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(["rules.1.name"]);
    // A cost the limiter would record as 10^8 sorted-set members per request (one admitted
    // request would hold Redis for minutes) is refused, whatever the limit.
    const costly = await stack.request("PUT", "/rate-limits/policy", { key: ADMIN.key, body: { rules: [{ ...EMAIL_RULE, limit: 100_000_000, cost: 100_000_000 }] } });
    expect(costly.status).toBe(400);
    expect(((await costly.json()) as { errors: Array<{ path: string; message: string }> }).errors).toEqual([expect.objectContaining({ path: "rules.0.cost", message: `cost is at most ${MAX_RULE_COST}` })]);
    expect(await policyOf(stack)).toMatchObject({ version: 1 });
    expect((await auditOf(stack)).map((e) => e.action)).toEqual(["policy.seed"]);
  });

  it("mends over HTTP a stored policy whose rules no longer fit the schema: a read is a 500 that names nothing, a PUT of every rule replaces it", async () => {
    const stack = await stackWith([EMAIL_RULE]);
    // As a version with a looser schema could have stored it: a rule over today's cost bound.
    const docKey = redisKeys(slotKeyPrefix(stack.prefix, stack.api.deps.redis.isCluster)).policy();
    const stored = JSON.parse((await stack.api.deps.redis.get(docKey))!) as { rules: unknown[] };
    await stack.api.deps.redis.set(docKey, JSON.stringify({ ...stored, rules: [...stored.rules, { ...EMAIL_RULE, name: "costly", cost: MAX_RULE_COST + 1 }] }));
    const broken = await stack.request("GET", "/rate-limits/policy", { key: ADMIN.key });
    expect(broken.status).toBe(500);
    expect(await broken.text()).not.toContain("cost");
    const mended = await stack.request("PUT", "/rate-limits/policy", { key: ADMIN.key, body: { rules: [{ ...EMAIL_RULE, limit: 5 }], expectedVersion: 1 } });
    expect(mended.status).toBe(200);
    expect(await policyOf(stack)).toMatchObject({ version: 2, rules: [{ name: "email-per-user", limit: 5 }] });
    expect((await auditOf(stack))[0]).toMatchObject({ action: "policy.set", details: { before: { damaged: expect.stringContaining("rules.1.cost") } } });
  });

  it("is the same over tRPC through the SDK: typed policy, VERSION_CONFLICT as a TaskgateError", async () => {
    const stack = await stackWith([EMAIL_RULE]);
    const admin = createClient({ baseUrl: stack.url, apiKey: ADMIN.key });
    const policy = await admin.rateLimits.policy.get();
    expect(policy.version).toBe(1);
    expect(policy.updatedAt).toBeInstanceOf(Date);
    const next = await admin.rateLimits.policy.set({ rules: [{ ...EMAIL_RULE, key: "user", limit: 3 }], expectedVersion: 1 });
    expect(next.version).toBe(2);
    const error = await admin.rateLimits.policy.set({ rules: [EMAIL_RULE as never], expectedVersion: 1 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TaskgateError);
    expect(error).toMatchObject({ code: "VERSION_CONFLICT", status: 409 });
    expect((await admin.monitoring.audit()).entries[0]).toMatchObject({ action: "policy.set", actor: ADMIN.userId });
  });
});

describe("overrides", () => {
  it("match an IP written in any spelling: stored canonical, applied to the request's address", async () => {
    const stack = await stackWith([{ name: "per-ip", key: "ip", limit: 5, windowMs: 60_000, routes: ["POST /jobs/email"] }]);
    // 127.0.0.1 as a dual-stack server would report it; the test API listens on 127.0.0.1.
    const set = await stack.request("PUT", "/rate-limits/overrides", { key: ADMIN.key, body: { rule: "per-ip", identity: "ip:::FFFF:127.0.0.1", limit: 0 } });
    expect(set.status).toBe(200);
    expect(((await set.json()) as Policy).overrides).toMatchObject([{ identity: "ip:127.0.0.1", limit: 0 }]);
    expect(await send(stack, USER_A.key, 1)).toEqual([429]);
    // Deleted under yet another spelling of the same address.
    expect((await stack.request("DELETE", "/rate-limits/overrides/per-ip/ip:0:0:0:0:0:ffff:7f00:1", { key: ADMIN.key })).status).toBe(204);
    expect(await send(stack, USER_A.key, 1)).toEqual([202]);
  });

  it("change one user's limit and no one else's; limit 0 denies at once; delete restores the rule's limit", async () => {
    const stack = await stackWith([EMAIL_RULE]);
    const raised = await stack.request("PUT", "/rate-limits/overrides", { key: ADMIN.key, body: { rule: "email-per-user", identity: `user:${USER_A.userId}`, limit: 4, reason: "launch" } });
    expect(raised.status).toBe(200);
    expect(await raised.json()).toMatchObject({ version: 2, overrides: [{ rule: "email-per-user", identity: "user:user-a", limit: 4, reason: "launch", createdBy: ADMIN.userId }] });
    expect(await send(stack, USER_A.key, 5)).toEqual([202, 202, 202, 202, 429]);
    expect(await send(stack, USER_B.key, 3)).toEqual([202, 202, 429]);

    // A deny-list entry: the very next request of that user is refused.
    const other = await stackWith([EMAIL_RULE]);
    expect((await other.request("PUT", "/rate-limits/overrides", { key: ADMIN.key, body: { rule: "email-per-user", identity: `user:${USER_B.userId}`, limit: 0 } })).status).toBe(200);
    expect(await send(other, USER_B.key, 1)).toEqual([429]);
    expect(await send(other, USER_A.key, 1)).toEqual([202]);

    const removed = await other.request("DELETE", `/rate-limits/overrides/email-per-user/user:${USER_B.userId}`, { key: ADMIN.key });
    expect(removed.status).toBe(204);
    expect((await policyOf(other)).overrides).toEqual([]);
    expect(await send(other, USER_B.key, 3)).toEqual([202, 202, 429]);
    expect((await other.request("DELETE", `/rate-limits/overrides/email-per-user/user:${USER_B.userId}`, { key: ADMIN.key })).status).toBe(404);

    const actions = (await auditOf(other)).map((e) => `${e.action} ${e.target}`);
    expect(actions).toEqual(["override.delete email-per-user/user:user-b", "override.set email-per-user/user:user-b", "policy.seed policy"]);
    const [deleted] = await auditOf(other);
    expect(deleted!.details).toMatchObject({ before: { limit: 0, identity: "user:user-b" }, after: null, version: 3 });
  });

  it("refuse an unknown rule, an identity of the wrong kind, a global rule, a past expiry and control characters, naming each field", async () => {
    const stack = await stackWith([EMAIL_RULE, { name: "everyone", key: "global", limit: 100, windowMs: 60_000, routes: ["POST /jobs/email"] }]);
    const put = (body: unknown) => stack.request("PUT", "/rate-limits/overrides", { key: ADMIN.key, body });
    const cases: Array<[unknown, string]> = [
      [{ rule: "nope", identity: "user:x", limit: 1 }, "rule"],
      [{ rule: "email-per-user", identity: "ip:10.0.0.1", limit: 1 }, "identity"],
      [{ rule: "everyone", identity: "user:x", limit: 1 }, "identity"],
      [{ rule: "email-per-user", identity: "ip:not-an-ip", limit: 1 }, "identity"],
      [{ rule: "email-per-user", identity: "user:x", limit: 1, expiresAt: new Date(Date.now() - 1000).toISOString() }, "expiresAt"],
      [{ rule: "email-per-user", identity: "user:x", limit: -1 }, "limit"],
      // Control characters, six bytes each in the stored JSON.
      [{ rule: "email-per-user", identity: "user:x\u0001y", limit: 1 }, "identity"],
      [{ rule: "email-per-user", identity: "user:x", limit: 1, reason: "a\u0000b" }, "reason"],
    ];
    for (const [body, field] of cases) {
      const res = await put(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path), JSON.stringify(body)).toContain(field);
    }
    expect(await policyOf(stack)).toMatchObject({ version: 1, overrides: [] });
  });

  it("expire by themselves: after expiresAt the rule's own limit applies and the override is gone from the policy", async () => {
    const stack = await stackWith([EMAIL_RULE]);
    const expiresAt = new Date(Date.now() + 1500);
    const res = await stack.request("PUT", "/rate-limits/overrides", { key: ADMIN.key, body: { rule: "email-per-user", identity: `user:${USER_A.userId}`, limit: 0, expiresAt: expiresAt.toISOString() } });
    expect(res.status).toBe(200);
    expect(await send(stack, USER_A.key, 1)).toEqual([429]);
    await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 100);
    expect(await send(stack, USER_A.key, 3)).toEqual([202, 202, 429]);
    expect((await policyOf(stack)).overrides).toEqual([]);
  });
});

describe("shadow rules", () => {
  it("pass every request, log the would-be denials as shadow, appear in no header or 429, and deny once enforced", async () => {
    const shadow = { name: "try-strict", key: "user", limit: 2, windowMs: 60_000, routes: ["POST /jobs/email"], mode: "shadow" };
    const stack = await stackWith([{ ...EMAIL_RULE, limit: 100 }, shadow]);
    for (let i = 0; i < 5; i++) {
      const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail });
      expect(res.status).toBe(202);
      expect(parseList(res.headers.get("ratelimit")!).map((item) => item.name)).toEqual(["email-per-user"]);
      expect(parseList(res.headers.get("ratelimit-policy")!).map((item) => item.name)).toEqual(["email-per-user"]);
    }
    // The blocked log is written off the request path: wait for it rather than guess.
    const readShadowEntries = async () => {
      const res = await stack.request("GET", "/monitoring/rate-limits/blocked?rule=try-strict", { key: ADMIN.key });
      return ((await res.json()) as { entries: Array<{ rule: string; shadow: boolean; userId: string }> }).entries;
    };
    const blocked = (await pollUntil(readShadowEntries, (entries) => entries.length >= 3)).at(-1)!;
    expect(blocked).toHaveLength(3);
    expect(blocked.every((entry) => entry.shadow && entry.userId === USER_A.userId)).toBe(true);
    // The counters are written beside the log, not with it (on a cluster, on another node): wait for them too.
    type BlockedSeries = { series: Array<{ total: number; shadowTotal: number; shadowByRule: Record<string, number> }> };
    const readMetrics = async () => (await (await stack.request("GET", "/metrics/blocked", { key: ADMIN.key })).json()) as BlockedSeries;
    const shadowCount = (series: BlockedSeries) => series.series.reduce((sum, bucket) => sum + (bucket.shadowByRule["try-strict"] ?? 0), 0);
    const metrics = (await pollUntil(readMetrics, (series) => shadowCount(series) >= 3)).at(-1)!;
    expect(shadowCount(metrics)).toBe(3);
    expect(metrics.series.reduce((sum, bucket) => sum + bucket.total, 0)).toBe(0);
    const prometheus = await (await stack.request("GET", "/metrics", { key: ADMIN.key })).text();
    expect(prometheus).toMatch(/rule="try-strict",outcome="shadow_denied"\} 3/);

    // Enforced, it has counted what it would have admitted (2): the next request is a 429.
    const policy = await policyOf(stack);
    const enforce = await stack.request("PUT", "/rate-limits/policy", { key: ADMIN.key, body: { rules: policy.rules.map((rule) => (rule.name === "try-strict" ? { ...rule, mode: "enforce" } : rule)), expectedVersion: policy.version } });
    expect(enforce.status).toBe(200);
    const denied = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail });
    expect(denied.status).toBe(429);
    expect(await denied.json()).toMatchObject({ rule: "try-strict" });
  });
});

describe("restarts (seeding)", () => {
  it("keep a policy changed at run time when the configuration is the same, and apply changed configured rules, audited as config", async () => {
    const prefix = randomPrefix();
    try {
      const start = (rules: unknown[]) => startStack({ worker: false, prefix, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify(rules) } });
      let stack = await start([EMAIL_RULE]);
      expect((await stack.request("PUT", "/rate-limits/overrides", { key: ADMIN.key, body: { rule: "email-per-user", identity: "user:user-a", limit: 9 } })).status).toBe(200);
      await stack.api.close();

      stack = await start([EMAIL_RULE]);
      expect(await policyOf(stack)).toMatchObject({ version: 2, overrides: [{ identity: "user:user-a", limit: 9 }] });
      await stack.api.close();

      stack = await start([{ ...EMAIL_RULE, limit: 7 }]);
      const policy = await policyOf(stack);
      expect(policy).toMatchObject({ version: 3, updatedBy: "config", rules: [expect.objectContaining({ limit: 7 })] });
      // The override still fits the new rules, so it stays.
      expect(policy.overrides).toEqual([expect.objectContaining({ identity: "user:user-a", limit: 9 })]);
      const [entry] = await auditOf(stack);
      expect(entry).toMatchObject({ actor: "config", action: "policy.config", details: { before: { rules: [expect.objectContaining({ limit: 2 })] }, after: { rules: [expect.objectContaining({ limit: 7 })] } } });
      await stack.api.close();
    } finally {
      await dropPrefixes(prefix);
    }
  });
});
