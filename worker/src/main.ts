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
  const running = await startWorker(config, { logger });
  // A drain that timed out still exits 0: the jobs it left keep their locks and are picked up
  // again when those expire, so nothing is lost (docs/OPERATIONS.md, Shutdown).
  exitOnSignals(() => running.close().then(() => true), logger);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
