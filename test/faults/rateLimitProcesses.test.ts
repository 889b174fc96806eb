import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestRedis, dropPrefixes, keysMatching, randomPrefix, testRedisEnv } from "#test-support/redis.js";
import { spawnApi, type RunningProcess } from "#test-support/processes.js";
import { API_KEYS_JSON, USER_A } from "#test-support/stack.js";

type Api = RunningProcess & { url: string };

const rules = [
  { name: "per-user", key: "user", limit: 20, windowMs: 60_000, routes: ["POST /jobs/email"], priority: 10 },
  { name: "everyone", key: "global", limit: 15, windowMs: 60_000, routes: ["POST /jobs/email/schedule"], priority: 20 },
  { name: "user-sched", key: "user", limit: 40, windowMs: 60_000, routes: ["POST /jobs/email/schedule"], priority: 30 },
  { name: "ip-sched", key: "ip", limit: 40, windowMs: 60_000, routes: ["POST /jobs/email/schedule"], priority: 40 },
];

const prefix = randomPrefix();
let apis: Api[] = [];
beforeAll(async () => {
  const env = { ...testRedisEnv(), KEY_PREFIX: prefix, API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify(rules), LOG_LEVEL: "warn" };
  apis = await Promise.all([spawnApi(env), spawnApi(env), spawnApi(env)]);
}, 60_000);
afterAll(async () => {
  await Promise.all(apis.map((api) => api.kill()));
  await dropPrefixes(prefix);
});

/** Fires `count` requests at once, spread round-robin over the three API processes. */
async function burst(count: number, path: string, body: unknown): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      fetch(`${apis[i % apis.length]!.url}${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` }, body: JSON.stringify(body) }),
    ),
  );
  await Promise.all(responses.map((r) => r.arrayBuffer()));
  return responses.map((r) => r.status);
}

describe("exact limits across three API processes on one Redis (or one Redis Cluster)", () => {
  it("admits exactly 20 of 60 concurrent requests of one user against a 20-per-window rule", async () => {
    const statuses = await burst(60, "/jobs/email", { to: "a@example.com", subject: "burst", text: "x" });
    expect(statuses.filter((s) => s === 202)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
  });

  it("admits exactly the smallest limit when several rules match, and a denied request leaves no trace in any rule", async () => {
    const statuses = await burst(60, "/jobs/email/schedule", { to: "a@example.com", subject: "burst", text: "x", delayMs: 60_000 });
    expect(statuses.filter((s) => s === 202)).toHaveLength(15);
    expect(statuses.filter((s) => s === 429)).toHaveLength(45);
    // Every rule recorded exactly the 15 admitted requests, none of the 45 denied ones.
    const redis = connectTestRedis();
    try {
      const keys = await keysMatching(redis, `${prefix}:*`);
      const scheduleKeys = keys.filter((k) => /:rl:(everyone|user-sched|ip-sched):/.test(k));
      expect(scheduleKeys).toHaveLength(3);
      for (const key of scheduleKeys) expect(await redis.zcard(key)).toBe(15);
      if (redis.isCluster) {
        // The three rules' keys would hash to different slots; the limiter's `{rl}` tag puts
        // them in one, so one script checks them all atomically.
        const slot = (key: string) => redis.call("CLUSTER", "KEYSLOT", key);
        expect(new Set(await Promise.all(scheduleKeys.map((key) => slot(key.replace("{rl}:", ""))))).size).toBeGreaterThan(1);
        expect(new Set(await Promise.all(scheduleKeys.map(slot))).size).toBe(1);
      }
    } finally {
      await redis.quit();
    }
  });
});
