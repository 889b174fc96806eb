/**
 * SIGTERM/SIGINT handling shared by every entry point: the first signal starts a graceful
 * stop, a second one forces exit with code 1.
 */
import type { Logger } from "pino";

/** Calls `stop` once on SIGTERM/SIGINT, then exits 0 if it resolved true, 1 otherwise. */
export function exitOnSignals(stop: () => Promise<boolean>, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting at once");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    stop().then(
      (clean) => {
        logger.info({ clean }, "stopped");
        process.exit(clean ? 0 : 1);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
