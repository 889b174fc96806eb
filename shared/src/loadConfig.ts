/**
 * The one place that reads the environment: `.env` (if present), `process.env` and
 * `RATE_LIMIT_RULES_FILE`. Exported separately (`@taskgate/shared/load-config`) so the
 * schemas stay free of I/O.
 */
import { existsSync, readFileSync } from "node:fs";
import { ConfigError, parseConfig, type Config, type Env } from "./config.js";

/** Reads `.env` from the working directory (without overriding real variables) and validates. */
export function loadConfig(env: Env = process.env, envFile = ".env"): Config {
  if (env === process.env && existsSync(envFile)) process.loadEnvFile(envFile);
  const rulesFile = env.RATE_LIMIT_RULES_FILE;
  let rulesText: string | undefined;
  if (rulesFile) {
    try {
      rulesText = readFileSync(rulesFile, "utf8");
    } catch (error) {
      throw new ConfigError(`Invalid RATE_LIMIT_RULES_FILE = ${JSON.stringify(rulesFile)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  return parseConfig(env, rulesText);
}
