/**
 * `npm start`: the whole of Taskgate in one process — API and email worker — against
 * REDIS_URL, starting a private Redis when none answers, and building the admin dashboard
 * (served at /admin) when its build is missing or stale. Ctrl-C, or SIGTERM to the `npm start`
 * process (its script execs node, so npm forwards the signal here), stops everything cleanly.
 */
import { assertApiConfig, ConfigError } from "@taskgate/shared";
import { loadConfig } from "@taskgate/shared/load-config";
import { createLogger, exitOnSignals } from "@taskgate/shared/runtime";
import { startApi, type RunningApi } from "@taskgate/server";
import { startWorker, type RunningWorker } from "@taskgate/worker";
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

// Signals are handled from here on, not only once everything is up: the API answers while the
// worker is still starting, and a SIGTERM in that gap (a supervisor, or a test that sends it as
// soon as /health/live answers) would otherwise kill the process with the default action — no
// drain, and a private redis-server left running. A signal during startup lets the step under
// way finish, skips the rest, and stops what was started.
const started: { api?: RunningApi; worker?: RunningWorker } = {};
let stopping = false;
const startup = (async () => {
  if (config.dashboardEnabled && (await ensureDashboardBuilt())) logger.info("built the admin dashboard (dashboard/dist)");
  if (stopping) return;
  started.api = await startApi(config, { logger: createLogger(config, "api", logStream) });
  if (stopping) return;
  started.worker = await startWorker(config, { logger: createLogger(config, "worker", logStream) });
})();

exitOnSignals(async () => {
  stopping = true;
  await startup.catch(() => undefined); // a failed startup is reported (and exits) below
  // Only the API's drain decides the exit code: a worker drain that timed out leaves its jobs to
  // be picked up again once their locks expire, as a worker process does (worker/src/main.ts).
  const [apiClean] = await Promise.all([started.api?.close() ?? true, started.worker?.close()]);
  await redis.stop();
  return apiClean;
}, logger);

try {
  await startup;
} catch (error) {
  // Stop what did start (a private Redis above all) rather than leave it behind; a signal's
  // stop, if one is under way, gets there too and exits first or finds nothing left to do.
  logger.error({ err: error }, "startup failed");
  await started.api?.close();
  await redis.stop();
  process.exit(1);
}
if (!stopping && started.api) {
  const url = started.api.url;
  logger.info(`Taskgate is up: API on ${url} (try GET ${url}/health; dashboard at ${url}/admin), ${config.smtpUrl ? "mail via SMTP" : `mail to the dev outbox ${config.outboxDir}`}. Ctrl-C stops.`);
}
