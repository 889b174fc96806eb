/**
 * A policy change reaches every API process (docs/RATE_LIMITING.md, "The policy"): three API
 * processes on one Redis (or one Redis Cluster); after a PUT through one of them, within
 * POLICY_REFRESH_MS and a margin, 60 concurrent requests spread over the three are admitted
 * exactly up to the new limit — lowered and raised — and a stale expectedVersion changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropPrefixes, randomPrefix, testRedisEnv } from "#test-support/redis.js";
import { spawnApi, type RunningProcess } from "#test-support/processes.js";
import { ADMIN, API_KEYS_JSON, USER_A, USER_B } from "#test-support/stack.js";
import { sleep } from "#test-support/time.js";

type Api = RunningProcess & { url: string };

const POLICY_REFRESH_MS = 500;
const RULE = { name: "per-user", key: "user", limit: 20, windowMs: 60_000, routes: ["POST /jobs/email"], priority: 10 };

const prefix = randomPrefix();
let apis: Api[] = [];
beforeAll(async () => {
  const env = { ...testRedisEnv(), KEY_PREFIX: prefix, API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify([RULE]), POLICY_REFRESH_MS: String(POLICY_REFRESH_MS), LOG_LEVEL: "warn" };
  apis = await Promise.all([spawnApi(env), spawnApi(env), spawnApi(env)]);
}, 60_000);
afterAll(async () => {
  await Promise.all(apis.map((api) => api.kill()));
  await dropPrefixes(prefix);
});

function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${apis[0]!.url}${path}`, { method, headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN.key}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** Fires `count` mails at once for one user, spread round-robin over the three API processes. */
async function burst(count: number, key: string): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      fetch(`${apis[i % apis.length]!.url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body: JSON.stringify({ to: "a@example.com", subject: "burst", text: "x" }) }),
    ),
  );
  await Promise.all(responses.map((r) => r.arrayBuffer()));
  return responses.map((r) => r.status);
}

/** The change has been stored; every process must enforce it within POLICY_REFRESH_MS (plus the time a request takes). */
const spread = () => sleep(POLICY_REFRESH_MS + 500);

describe("a policy change across three API processes", () => {
  it("is enforced exactly by all three after a lowering PUT, and a stale expectedVersion changes nothing", async () => {
    const seeded = (await (await admin("GET", "/rate-limits/policy")).json()) as { version: number };
    expect(seeded.version).toBe(1);
    const lowered = await admin("PUT", "/rate-limits/policy", { rules: [{ ...RULE, limit: 7 }], expectedVersion: 1 });
    expect(lowered.status).toBe(200);
    const stale = await admin("PUT", "/rate-limits/policy", { rules: [{ ...RULE, limit: 1000 }], expectedVersion: 1 });
    expect(stale.status).toBe(409);
    await spread();

    const statuses = await burst(60, USER_A.key);
    expect(statuses.filter((s) => s === 202)).toHaveLength(7);
    expect(statuses.filter((s) => s === 429)).toHaveLength(53);
  });

  it("is enforced exactly by all three after a raising PUT", async () => {
    const current = (await (await admin("GET", "/rate-limits/policy")).json()) as { version: number; rules: Array<{ limit: number }> };
    expect(current).toMatchObject({ version: 2, rules: [{ limit: 7 }] });
    expect((await admin("PUT", "/rate-limits/policy", { rules: [{ ...RULE, limit: 25 }], expectedVersion: 2 })).status).toBe(200);
    await spread();

    // Another user, so the first burst's admitted requests do not count here.
    const statuses = await burst(60, USER_B.key);
    expect(statuses.filter((s) => s === 202)).toHaveLength(25);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);
  });

  it("reaches the others through an override too: one user denied everywhere at once", async () => {
    const denied = await admin("PUT", "/rate-limits/overrides", { rule: "per-user", identity: `user:${USER_B.userId}`, limit: 0, reason: "abuse" });
    expect(denied.status).toBe(200);
    await spread();
    const statuses = await burst(30, USER_B.key);
    expect(statuses.every((s) => s === 429)).toBe(true);
  });
});
