/**
 * `health.get`: whether this process can serve — Redis answers and accepts writes, and no
 * shutdown is under way. Public, so it says what is wrong in fixed words only: never a driver
 * message, host, port or path (those go to the log, `redis/health.ts`).
 */
import type { HealthStatus } from "@taskgate/shared";
import type { ServerDeps } from "../../deps.js";
import { createRedisHealthCheck, type RedisHealth } from "../../redis/health.js";
import { router, t } from "../init.js";

/** The public reason for each unhealthy Redis state. */
const REDIS_REASONS: Record<Exclude<RedisHealth, "up">, string> = {
  down: "Redis is not answering.",
  "refusing-writes": "Redis is refusing writes.",
};

/**
 * Builds the health check of one process. The Redis probe is shared for a second (at most one
 * Redis command per second however many health calls arrive); draining is read fresh each call.
 */
export function createHealthCheck(deps: Pick<ServerDeps, "redis" | "lifecycle" | "logger" | "config">): () => Promise<HealthStatus> {
  const redisHealth = createRedisHealthCheck({ redis: deps.redis, probeKey: `${deps.config.keyPrefix}:health:probe`, logger: deps.logger });
  return async () => {
    const redis = await redisHealth.check();
    const uptimeMs = Date.now() - deps.lifecycle.startedAt;
    const { draining } = deps.lifecycle;
    const reason = draining ? "shutting down" : redis === "up" ? undefined : REDIS_REASONS[redis];
    const ok = redis === "up" && !draining;
    return { status: ok ? "ok" : "unavailable", redis, draining, uptimeMs, ...(reason ? { reason } : {}) };
  };
}

export function healthRouter(deps: ServerDeps) {
  const checkHealth = createHealthCheck(deps);
  return router({
    get: t.procedure.meta({ access: "public" }).query(() => checkHealth()),
  });
}
