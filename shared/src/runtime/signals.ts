/**
 * SIGTERM/SIGINT handling shared by every entry point (API, worker, all-in-one): the first
 * signal starts a graceful stop, a second one forces exit with code 1.
 */

/** The logger calls this module makes (a pino logger fits). */
export interface SignalLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * How long after a SIGINT a second SIGINT counts as the same Ctrl-C, in ms. A Ctrl-C in a
 * terminal reaches the whole process group, and `npm run` forwards the SIGINT it received to its
 * child as well, so a process started through npm sees every Ctrl-C twice within a millisecond
 * or so; a person pressing Ctrl-C again to force the exit takes far longer than this.
 */
export const REPEATED_SIGINT_WINDOW_MS = 300;


/**
 * Calls `stop` once on SIGTERM/SIGINT and exits 0 if it resolved true, 1 otherwise; logs
 * "shutting down" and "stopped" so an operator sees the drain begin and end. A second signal
 * (other than the echo of a Ctrl-C, see REPEATED_SIGINT_WINDOW_MS) exits at once with 1.
 */
export function exitOnSignals(stop: () => Promise<boolean>, logger: SignalLogger, now: () => number = Date.now): void {
  let firstSignal: { signal: NodeJS.Signals; at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignal) {
      const echo = signal === "SIGINT" && firstSignal.signal === "SIGINT" && now() - firstSignal.at < REPEATED_SIGINT_WINDOW_MS;
      if (echo) return;
      logger.warn({ signal }, "second signal: exiting at once");
      process.exit(1);
    }
    firstSignal = { signal, at: now() };
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
