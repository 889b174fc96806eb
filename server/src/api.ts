/**
 * Starting and stopping one API process: connections, dependencies, the HTTP server, and a
 * graceful drain (health flips to 503, in-flight requests finish, idle sockets close,
 * queues and Redis close) bounded by SHUTDOWN_TIMEOUT_MS.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { Logger } from "pino";
import { assertApiConfig, createKeyLookup, type Config } from "@taskgate/shared";
import { createCounterBuffer, createHttpServer, createLogger } from "@taskgate/shared/runtime";
import type { ServerDeps } from "./serverDeps.js";
import { createApp, type AppOptions } from "./http/app.js";
import { drainServer, trackRequests } from "./http/drain.js";
import { createAuditLog } from "./audit/auditLog.js";
import { createIdempotencyStore } from "./idempotency/index.js";
import { closeQueues, openQueues } from "./jobs/queues.js";
import { createApiMetrics } from "./observability/index.js";
import { createPolicyCache, createPolicyStore, createRateLimiter, type PolicyCache, type PolicyStore } from "./rateLimit/index.js";
import { allReady, connectRedis, type RedisClient } from "./redis/connect.js";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { rescheduleJobScript } from "./jobs/scripts.js";
import { countRetryingScript } from "./observability/index.js";
import { createAppRouter } from "./trpc/appRouter.js";
import type { Express } from "express";

/** A running API process. */
export interface RunningApi {
  server: Server;
  /** The Express app the server hands each request to (after `createHttpServer`'s own checks). */
  app: Express;
  /** The port actually bound (useful with PORT=0 in tests). */
  port: number;
  url: string;
  deps: ServerDeps;
  /** Drains and closes; resolves `true` when everything finished within the timeout. */
  close(): Promise<boolean>;
}

/** Waits for a connection to be ready, up to `timeoutMs`, and says whether it is; the API starts either way (health says down). */
async function waitReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (allReady([redis])) return true;
  // Not `once(redis, "ready")`: it rejects on the first "error" event (a refused connection, a
  // cluster whose slots cannot be read), which would stop the API from starting at all.
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    redis.on("ready", done);
  });
  return allReady([redis]);
}

/**
 * Lua commands the API's procedures call but define where they are used (each definition is
 * idempotent), defined here before any request. On an auto-pipelined connection a command
 * defined after the current tick's pipeline was made is missing from that pipeline: ioredis
 * then leaves its reply slot empty and throws from its pipeline callback, an uncaught
 * exception (redis/ioredis#1931; a dashboard test hit it in CI through `monitoring.queues`).
 * The limiter, the policy store and the idempotency store define theirs when built, below.
 */
const SCRIPTS_DEFINED_ON_USE = [rescheduleJobScript, countRetryingScript];

/** Builds the dependencies of one API process. */
function createServerDeps(config: Config, logger: Logger, redis: RedisClient, queueRedis: RedisClient): ServerDeps {
  defineLuaCommands(redis, SCRIPTS_DEFINED_ON_USE);
  const queues = openQueues(config, queueRedis);
  const audit = createAuditLog({ redis, keyPrefix: config.keyPrefix, maxEntries: config.auditLogMax });
  const policyStore = createPolicyStore({ redis, keyPrefix: config.keyPrefix, audit });
  const policyCache = createPolicyCache({ store: policyStore, fallbackRules: config.rateLimitRules, refreshMs: config.policyRefreshMs, logger });
  return {
    audit,
    policy: { store: policyStore, cache: policyCache },
    config,
    redis,
    queueRedis,
    logger,
    queues,
    metrics: createApiMetrics({ redis, queues, logger }),
    counters: createCounterBuffer({
      redis,
      keyPrefix: config.keyPrefix,
      retention: { minute: config.metricsMinuteRetentionMs, hour: config.metricsHourRetentionMs },
      flushMs: config.metricsFlushMs,
      logger,
    }),
    lifecycle: { draining: false, startedAt: Date.now() },
    keyLookup: config.apiKeys ? createKeyLookup(config.apiKeys) : undefined,
    limiter: createRateLimiter({
      redis,
      keyPrefix: config.keyPrefix,
      policy: policyCache,
      failMode: config.rateLimitFailMode,
      commandTimeoutMs: config.redisCommandTimeoutMs,
    }),
    idempotency: createIdempotencyStore({ redis, keyPrefix: config.keyPrefix, ttlMs: config.idempotencyTtlMs, leaseMs: config.idempotencyLeaseMs }),
  };
}

/**
 * Seeds the stored policy from the configured rules (docs/RATE_LIMITING.md, "The policy") and
 * starts the periodic version check. With Redis down at start the configured rules are enforced
 * and seeding is tried again every POLICY_REFRESH_MS until it succeeds. Returns a stop function.
 */
function seedPolicy(policy: { store: PolicyStore; cache: PolicyCache }, config: Config, logger: Logger): { firstAttempt: Promise<void>; stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = (): Promise<void> =>
    policy.store
      .seed(config.rateLimitRules)
      .then((seeded) => {
        policy.cache.apply(seeded);
        logger.info({ version: seeded.version, rules: seeded.rules.length, overrides: seeded.overrides.length }, "rate-limit policy in force");
      })
      .catch((error: unknown) => {
        if (stopped) return;
        logger.warn({ err: error }, "could not seed the rate-limit policy; enforcing the configured rules and trying again");
        timer = setTimeout(() => void attempt(), config.policyRefreshMs);
        timer.unref();
      });
  policy.cache.start();
  // The first attempt is awaited before listening, so the first request sees the stored policy.
  const firstAttempt = attempt();
  return {
    firstAttempt,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Options of `startApi`. */
export interface StartApiOptions extends AppOptions {
  /** Default: a pino JSON logger on stdout for the role `api`. */
  logger?: Logger;
}

/** Starts the API on `config.port` (0 = any free port). */
export async function startApi(config: Config, options: StartApiOptions = {}): Promise<RunningApi> {
  assertApiConfig(config);
  const logger = options.logger ?? createLogger(config, "api");
  if (!config.apiKeys) logger.warn("API_KEYS is not set: open mode, every path is open and only ip/global rate limits apply");
  const redis = connectRedis(config, "api");
  // On a single Redis, BullMQ's commands go on a connection of their own that does not
  // auto-pipeline (see `redis/connect.ts`). A Cluster client never auto-pipelines, so there the
  // queues share it rather than double the connections to every node.
  const queueRedis = config.redisClusterNodes ? redis : connectRedis(config, "api-queues", { autoPipelining: false });
  const connections = [...new Set([redis, queueRedis])];
  for (const connection of connections) connection.on("error", (error: Error) => logger.debug({ err: error }, "redis connection error"));
  const ready = await Promise.all(connections.map((connection) => waitReady(connection, 5000)));
  if (!ready.every(Boolean)) logger.warn("Redis is not answering yet; the API starts and reports 503 until it does");
  const deps = createServerDeps(config, logger, redis, queueRedis);
  const seeding = seedPolicy(deps.policy, config, logger);
  await seeding.firstAttempt;
  const stopSeeding = seeding.stop;
  for (const queue of Object.values(deps.queues)) queue.on("error", (error) => logger.debug({ err: error }, "queue error"));
  const app = createApp(deps, createAppRouter(deps), { dashboardBuildDir: options.dashboardBuildDir, trpcFastPath: options.trpcFastPath });
  const server = createHttpServer(app, {
    logger,
    // A request whose headers and body have not all arrived by then is cut with 408, so a
    // client trickling bytes cannot hold a socket for Node's default 5 minutes.
    requestTimeout: config.httpRequestTimeoutMs,
    headersTimeout: config.httpRequestTimeoutMs,
    // How often Node looks for requests past those deadlines (its default is 30 s).
    connectionsCheckingInterval: Math.min(1000, config.httpRequestTimeoutMs),
  });
  server.listen(config.port, config.host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.host }, "API listening");

  const tracker = trackRequests(server);

  let closing: Promise<boolean> | undefined;
  const close = () =>
    (closing ??= (async () => {
      deps.lifecycle.draining = true;
      stopSeeding();
      deps.policy.cache.stop();
      const { timedOut, stillOpen } = await drainServer(server, tracker, config.shutdownTimeoutMs);
      if (timedOut) {
        logger.error({ timeoutMs: config.shutdownTimeoutMs, stillOpen }, `shutdown timed out: ${stillOpen.length} request(s) still in flight were cut off`);
      }
      await deps.counters.close();
      await closeQueues(deps.queues).catch((error: unknown) => logger.warn({ err: error }, "closing queues failed"));
      await Promise.all(connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
      logger.info({ requestsReceived: tracker.received, responsesCompleted: tracker.completed, clean: !timedOut }, "API stopped");
      return !timedOut;
    })());
  return { server, app, port, url: `http://${config.host}:${port}`, deps, close };
}
