/**
 * The API has two Redis connections (its own, and the queues'): health and the gate before
 * every resolver count Redis as down while either one is not ready, since a queue call on a
 * connection that never became ready waits for it instead of failing.
 */
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { connectTestRedis } from "#test-support/redis.js";
import { freePort } from "#test-support/ports.js";
import { createRedisHealthCheck } from "../../src/redis/health.js";
import { requireRedisReady } from "../../src/trpc/middleware/redisReady.js";

const ready = connectTestRedis();
// A connection to a port nothing listens on: never ready.
const nowhere = new Redis({ port: await freePort(), host: "127.0.0.1", lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
nowhere.on("error", () => undefined);
afterAll(async () => {
  await ready.quit();
  nowhere.disconnect();
});

describe("readiness of the API's two connections", () => {
  it("reports Redis up when both are ready, and down when the other one is not", async () => {
    await ready.ping();
    const probeKey = `readiness-test:${Date.now()}:probe`;
    expect(await createRedisHealthCheck({ redis: ready, alsoReady: [ready], probeKey }).check()).toBe("up");
    expect(await createRedisHealthCheck({ redis: ready, alsoReady: [nowhere], probeKey }).check()).toBe("down");
    expect(await ready.exists(probeKey)).toBe(0);
  });

  it("answers 503 with Retry-After before a resolver when either connection is not ready", () => {
    const headers: Record<string, string> = {};
    const ctx = { setHeader: (name: string, value: string) => void (headers[name] = value) };
    expect(() => requireRedisReady([ready, ready], ctx)).not.toThrow();
    let thrown: unknown;
    try {
      requireRedisReady([ready, nowhere], ctx);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TRPCError);
    expect((thrown as TRPCError).code).toBe("SERVICE_UNAVAILABLE");
    expect(headers["Retry-After"]).toBe("1");
  });
});
