/**
 * Entry point of one API process (`npm run start:api`, `npm run dev`).
 */
import { ConfigError } from "@taskgate/shared";
import { loadConfig } from "@taskgate/shared/load-config";
import { createLogger, exitOnSignals } from "@taskgate/shared/runtime";
import { startApi } from "./api.js";

try {
  const config = loadConfig();
  const logger = createLogger(config, "api");
  const api = await startApi(config, { logger });
  exitOnSignals(api.close, logger);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
