/**
 * `health.get`: whether this process can serve — Redis answers and accepts writes, and no
 * shutdown is under way. Public, so it says what is wrong in fixed words only: never a driver
 * message, host, port or path (those go to the log, `redis/health.ts`).
 */
import { healthStatus, type HealthStatus } from "@taskgate/shared";
import type { ServerDeps } from "../../serverDeps.js";
import { createRedisHealthCheck, type RedisHealth } from "../../redis/health.js";
import { router } from "../init.js";
import type { Procedures } from "../procedures.js";

/** The public reason for each unhealthy Redis state. */
const REDIS_REASONS: Record<Exclude<RedisHealth, "up">, string> = {
  down: "Redis is not answering.",
  "refusing-writes": "Redis is refusing writes.",
};

/**
 * Builds the health check of one process. The Redis probe is shared for a second (at most one
 * Redis command per second however many health calls arrive); draining is read fresh each call.
 */
export function createHealthCheck(deps: Pick<ServerDeps, "redis" | "queueRedis" | "lifecycle" | "logger" | "config">): () => Promise<HealthStatus> {
  const redisHealth = createRedisHealthCheck({ redis: deps.redis, alsoReady: [deps.queueRedis], probeKey: `${deps.config.keyPrefix}:health:probe`, logger: deps.logger });
  return async () => {
    const redis = await redisHealth.check();
    const uptimeMs = Date.now() - deps.lifecycle.startedAt;
    const { draining } = deps.lifecycle;
    const reason = draining ? "shutting down" : redis === "up" ? undefined : REDIS_REASONS[redis];
    const ok = redis === "up" && !draining;
    return { status: ok ? "ok" : "unavailable", redis, draining, uptimeMs, ...(reason ? { reason } : {}) };
  };
}

export function healthRouter(deps: ServerDeps, p: Procedures) {
  const checkHealth = createHealthCheck(deps);
  return router({
    /** `GET /health`: whether the API can serve (Redis up, not draining). */
    get: p.open
      .meta({
        rest: { method: "GET", path: "/health", status: (output) => ((output as HealthStatus).status === "ok" ? 200 : 503) },
        doc: {
          tag: "health",
          summary: "Whether this API process can serve",
          description: "200 when Redis answers and the process is not draining, else 503 with the same body. Open: no API key needed.",
          output: { name: "HealthStatus", schema: healthStatus },
          alsoStatuses: { 503: "Not ready: Redis is not answering or the process is draining (same body, `status: \"unavailable\"`)" },
        },
      })
      .query(() => checkHealth()),
  });
}
