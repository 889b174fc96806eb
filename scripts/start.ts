/**
 * `npm start`: the whole of Taskgate in one process — API and email worker — against
 * REDIS_URL, starting a private Redis when none answers, and building the admin dashboard
 * (served at /admin) when its build is missing or stale. Ctrl-C, or SIGTERM to the `npm start`
 * process (its script execs node, so npm forwards the signal here), stops everything cleanly.
 */
import { assertApiConfig, ConfigError } from "@taskgate/shared";
import { loadConfig } from "@taskgate/shared/load-config";
import { createLogger, exitOnSignals } from "@taskgate/shared/runtime";
import { startApi } from "@taskgate/server";
import { startWorker } from "@taskgate/worker";
import { prettyLogStream } from "./lib/prettyLogs.js";
import { ensureDashboardBuilt } from "./lib/dashboardBuild.js";
import { ensureRedis } from "./lib/ensureRedis.js";
import { startAllInOne } from "./lib/allInOne.js";

let config;
try {
  config = loadConfig();
  assertApiConfig(config);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
// Readable lines for a person at a terminal; JSON when piped (to a file, a log shipper, a test).
const logStream = process.stdout.isTTY ? prettyLogStream() : undefined;
const logger = createLogger(config, "all-in-one", logStream);

// A signal while a private Redis is being started is held until it answers (or fails to), then
// that Redis is stopped: killed by the signal instead, node would leave the redis-server behind.
let heldSignal: NodeJS.Signals | undefined;
const holdSignal = (signal: NodeJS.Signals) => (heldSignal ??= signal);
process.on("SIGTERM", holdSignal);
process.on("SIGINT", holdSignal);
let redis;
try {
  redis = config.redisClusterNodes ? { url: "cluster", started: false, stop: async () => undefined } : await ensureRedis(config.redisUrl);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
} finally {
  process.off("SIGTERM", holdSignal);
  process.off("SIGINT", holdSignal);
}
if (redis.started) logger.warn({ redisUrl: redis.url, data: ".data/redis" }, "no Redis answered: started a private redis-server (stopped on exit)");
if (heldSignal) {
  logger.info({ signal: heldSignal }, "shutting down");
  await redis.stop();
  logger.info({ clean: true }, "stopped");
  process.exit(0);
}

// Signals are taken from here on, while the roles are still starting (scripts/lib/allInOne.ts).
const allInOne = startAllInOne(
  {
    prepare: async () => {
      if (config.dashboardEnabled && (await ensureDashboardBuilt())) logger.info("built the admin dashboard (dashboard/dist)");
    },
    startApi: () => startApi(config, { logger: createLogger(config, "api", logStream) }),
    startWorker: () => startWorker(config, { logger: createLogger(config, "worker", logStream) }),
    afterStop: () => redis.stop(),
  },
  { startupTimeoutMs: config.shutdownTimeoutMs, onStartupTimeout: () => logger.warn({ timeoutMs: config.shutdownTimeoutMs }, "startup did not finish in time; stopping what did start") },
);
exitOnSignals(allInOne.stop, logger);

try {
  await allInOne.startup;
} catch (error) {
  // Stop what did start (a private Redis above all) rather than leave it behind; a signal's stop
  // under way is the same stop, and it is not clean either.
  logger.error({ err: error }, "startup failed");
  await allInOne.stop();
  process.exit(1);
}
const { api } = allInOne.started;
if (!allInOne.stopping && api) {
  logger.info(`Taskgate is up: API on ${api.url} (try GET ${api.url}/health; dashboard at ${api.url}/admin), ${config.smtpUrl ? "mail via SMTP" : `mail to the dev outbox ${config.outboxDir}`}. Ctrl-C stops.`);
}
