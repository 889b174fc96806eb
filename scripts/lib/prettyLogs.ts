/**
 * Pretty-printed log lines for `npm start` at a terminal: local clock times and the role up
 * front instead of pino's JSON with epoch milliseconds. Production entry points keep JSON.
 */
import type { DestinationStream } from "pino";
import PinoPretty from "pino-pretty";

/** One synchronous pretty stream, shared by the loggers of every role in the process. */
export function prettyLogStream(): DestinationStream {
  return PinoPretty({ colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,role", messageFormat: "[{role}] {msg}", sync: true });
}
