/**
 * The pino logger of every process (API, worker, `npm start`): JSON lines that carry the process
 * role and pid; request lines add the request id, job lines the job id and the request id.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import type { Config } from "../config.js";

/** A pino logger for one role; `destination` (default stdout, as JSON) lets `npm start` pretty-print to a terminal. */
export function createLogger(config: Pick<Config, "logLevel">, role: string, destination?: DestinationStream): Logger {
  const options = { level: config.logLevel, base: { role, pid: process.pid } };
  return destination ? pino(options, destination) : pino(options);
}
