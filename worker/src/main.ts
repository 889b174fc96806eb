/**
 * Entry point of one worker process (`npm run start:worker`, `npm run worker:dev`).
 */
import { ConfigError } from "@taskgate/shared";
import { loadConfig } from "@taskgate/shared/load-config";
import { exitOnSignals } from "@taskgate/shared/runtime";
import { createLogger } from "./logger.js";
import { startWorker } from "./worker.js";

try {
  const config = loadConfig();
  const logger = createLogger(config, "worker");
  const running = await startWorker(config, { logger });
  exitOnSignals(running.close, logger);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
