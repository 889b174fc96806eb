/**
 * pino JSON logs; every line carries the process role, and request lines the request id.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import type { Config } from "@taskgate/shared";

/** A pino logger for one role; `destination` (default stdout, as JSON) lets `npm start` pretty-print to a terminal. */
export function createLogger(config: Pick<Config, "logLevel">, role: string, destination?: DestinationStream): Logger {
  const options = { level: config.logLevel, base: { role, pid: process.pid } };
  return destination ? pino(options, destination) : pino(options);
}
