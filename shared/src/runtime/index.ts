/**
 * `@taskgate/shared/runtime`: what every entry point (API, worker, `npm start`) runs on — the
 * logger factory and the SIGTERM/SIGINT handling.
 */
export { createLogger } from "./logger.js";
export { exitOnSignals, REPEATED_SIGINT_WINDOW_MS, type SignalLogger } from "./signals.js";
