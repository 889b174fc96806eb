/**
 * Everything the API's procedures need, built once at start-up and passed in (never read
 * from globals), so tests can build the same thing against their own Redis prefix.
 */
import type { Logger } from "pino";
import type { Config, KeyLookup } from "@taskgate/shared";
import type { Queues } from "./jobs/queues.js";
import type { RedisClient } from "./redis/connect.js";
import type { AuditLog } from "./audit/auditLog.js";
import type { PolicyCache, PolicyStore, RateLimiter } from "./rateLimit/index.js";
import type { IdempotencyStore } from "./idempotency/index.js";
import type { CounterBuffer } from "@taskgate/shared/runtime";
import type { ApiMetrics } from "./observability/index.js";

/** Process-wide state that shutdown flips. */
export interface Lifecycle {
  /** True once a shutdown began: /health answers 503 so load balancers stop sending. */
  draining: boolean;
  startedAt: number;
}

export interface ServerDeps {
  config: Config;
  /** Taskgate's own commands (auto-pipelined on a single Redis; every Lua command defined at start). */
  redis: RedisClient;
  /** The queues' connection (BullMQ's commands; never auto-pipelined, see `redis/connect.ts`); on a Cluster, `redis` itself. */
  queueRedis: RedisClient;
  queues: Queues;
  logger: Logger;
  lifecycle: Lifecycle;
  /** Undefined in open mode. */
  keyLookup: KeyLookup | undefined;
  limiter: RateLimiter;
  /** The stored rate-limit policy, and this process's copy of it (what the limiter enforces). */
  policy: { store: PolicyStore; cache: PolicyCache };
  /** The log of admin writes. */
  audit: AuditLog;
  idempotency: IdempotencyStore;
  /** This process's Prometheus registry and the hooks that move it. */
  metrics: ApiMetrics;
  /** Request counts summed in memory, flushed to Redis every METRICS_FLUSH_MS. */
  counters: CounterBuffer;
}
