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

let redis;
try {
  redis = config.redisClusterNodes ? { url: "cluster", started: false, stop: async () => undefined } : await ensureRedis(config.redisUrl);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
if (redis.started) logger.warn({ redisUrl: redis.url, data: ".data/redis" }, "no Redis answered: started a private redis-server (stopped on exit)");

if (config.dashboardEnabled && (await ensureDashboardBuilt())) logger.info("built the admin dashboard (dashboard/dist)");

const api = await startApi(config, { logger: createLogger(config, "api", logStream) });
const worker = await startWorker(config, { logger: createLogger(config, "worker", logStream) });
logger.info(`Taskgate is up: API on ${api.url} (try GET ${api.url}/health; dashboard at ${api.url}/admin), ${config.smtpUrl ? "mail via SMTP" : `mail to the dev outbox ${config.outboxDir}`}. Ctrl-C stops.`);

exitOnSignals(async () => {
  // Only the API's drain decides the exit code: a worker drain that timed out leaves its jobs to
  // be picked up again once their locks expire, as a worker process does (worker/src/main.ts).
  const [apiClean] = await Promise.all([api.close(), worker.close()]);
  await redis.stop();
  return apiClean;
}, logger);
