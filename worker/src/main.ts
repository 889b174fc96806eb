/**
 * Entry point of one worker process (`npm run start:worker`, `npm run worker:dev`).
 */
import { ConfigError } from "@taskgate/shared";
import { loadConfig } from "@taskgate/shared/load-config";
import { createLogger, exitOnSignals } from "@taskgate/shared/runtime";
import { startWorker } from "./worker.js";

try {
  const config = loadConfig();
  const logger = createLogger(config, "worker");
  const starting = startWorker(config, { logger });
  // Signals are taken from the start: while Redis does not answer, startWorker waits for it, and
  // a signal without a handler would kill the process undrained (and PID 1 in a container would
  // ignore it). A stop during startup waits for it at most SHUTDOWN_TIMEOUT_MS: a worker that
  // never reached Redis holds no job, and one that did is drained as usual.
  exitOnSignals(async () => {
    let timer: NodeJS.Timeout | undefined;
    const running = await Promise.race([starting, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), config.shutdownTimeoutMs)))]);
    clearTimeout(timer);
    if (!running) {
      logger.warn({ timeoutMs: config.shutdownTimeoutMs }, "stopped while still waiting for Redis: no job was taken");
      return false;
    }
    // A drain that timed out still exits 0: the jobs it left keep their locks and are picked up
    // again when those expire, so nothing is lost (docs/OPERATIONS.md, Shutdown).
    return running.close().then(() => true);
  }, logger);
  logger.info("worker starting");
  await starting;
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
