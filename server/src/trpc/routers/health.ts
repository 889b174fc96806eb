/**
 * `health.get`: whether this process can serve — Redis answers and no shutdown is under way.
 */
import type { HealthStatus } from "@taskgate/shared";
import type { ServerDeps } from "../../deps.js";
import { router, t } from "../init.js";

/** Pings Redis, bounded by the command timeout. */
export async function checkHealth(deps: Pick<ServerDeps, "redis" | "lifecycle">): Promise<HealthStatus> {
  const uptimeMs = Date.now() - deps.lifecycle.startedAt;
  let redisUp = false;
  let reason: string | undefined;
  try {
    redisUp = (await deps.redis.ping()) === "PONG";
  } catch (error) {
    reason = `redis: ${(error as Error).message}`;
  }
  if (deps.lifecycle.draining) reason = "shutting down";
  const ok = redisUp && !deps.lifecycle.draining;
  return { status: ok ? "ok" : "unavailable", redis: redisUp ? "up" : "down", draining: deps.lifecycle.draining, uptimeMs, ...(reason ? { reason } : {}) };
}

export function healthRouter(deps: ServerDeps) {
  return router({
    get: t.procedure.meta({ access: "public" }).query(() => checkHealth(deps)),
  });
}
