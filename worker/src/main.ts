/**
 * Entry point of one worker process (`npm run start:worker`, `npm run worker:dev`).
 */
import { ConfigError } from "@taskgate/shared";
import { loadConfig } from "@taskgate/shared/load-config";
import { createLogger } from "./logger.js";
import { startWorker } from "./worker.js";

try {
  const config = loadConfig();
  const logger = createLogger(config, "worker");
  const running = await startWorker(config, { logger });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, "shutting down");
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
