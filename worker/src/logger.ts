/**
 * pino JSON logs for worker processes; job lines carry the job id and the request id.
 */
import { pino, type Logger } from "pino";
import type { Config } from "@taskgate/shared";

export function createLogger(config: Pick<Config, "logLevel">, role: string): Logger {
  return pino({ level: config.logLevel, base: { role, pid: process.pid } });
}
