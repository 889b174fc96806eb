/**
 * An API process started while its Redis (or Redis Cluster) is down: it starts, answers 503
 * at once instead of hanging, and serves once Redis is up. Needs no test Redis of its own.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseConfig } from "@taskgate/shared";
import { startApi, type RunningApi } from "@taskgate/server";
import { randomPrefix } from "#test-support/redis.js";
import { freePort } from "#test-support/ports.js";
import { startPrivateRedis } from "#test-support/privateRedis.js";
import { pollUntil } from "#test-support/time.js";

describe("starting while Redis is down", () => {
  const mail = { to: "a@example.com", subject: "hello", text: "x" };
  const post = (api: RunningApi) =>
    fetch(`${api.url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(mail), signal: AbortSignal.timeout(5000) });

  async function apiOn(env: Record<string, string>): Promise<RunningApi> {
    const config = parseConfig({ ...env, KEY_PREFIX: randomPrefix(), PORT: "0", RATE_LIMIT_RULES: "[]", LOG_LEVEL: "silent" });
    return startApi(config, { logger: pino({ level: "silent" }) });
  }

  async function expectFast503(api: RunningApi): Promise<void> {
    const health = await fetch(`${api.url}/health`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "unavailable", redis: "down" });
    // BullMQ waits for a first connection rather than failing: the request must not hang on it.
    const res = await post(api);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(((await res.json()) as { code: string }).code).toBe("UNAVAILABLE");
  }

  it("starts on a single Redis that is down, answers 503 at once instead of hanging, and serves once Redis is up", async () => {
    const port = await freePort();
    const api = await apiOn({ REDIS_URL: `redis://127.0.0.1:${port}` });
    const redis = await (async () => {
      try {
        await expectFast503(api);
        return await startPrivateRedis({ port });
      } catch (error) {
        await api.close();
        throw error;
      }
    })();
    try {
      await pollUntil(async () => (await fetch(`${api.url}/health`)).status, (status) => status === 200);
      expect((await post(api)).status).toBe(202);
    } finally {
      await api.close();
      await redis.stop();
    }
  });

  it("starts on a Redis Cluster whose seeds do not answer, and answers 503 at once instead of hanging", async () => {
    const api = await apiOn({ REDIS_CLUSTER_NODES: `127.0.0.1:${await freePort()}` });
    try {
      await expectFast503(api);
    } finally {
      await api.close();
    }
  });
});
