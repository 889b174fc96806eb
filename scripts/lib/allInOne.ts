/**
 * The start and stop of `npm start`'s roles in one process (API, then worker), with signals
 * taken from the start rather than once everything is up: the API answers while the worker is
 * still starting, and a SIGTERM in that gap (a supervisor, or a test that sends it as soon as
 * /health/live answers) would otherwise kill the process with the default action — no drain, and
 * a private redis-server left running.
 *
 * A stop during startup gives the step under way `startupTimeoutMs` to finish (a worker waiting
 * for a Redis that went away never would), skips the steps after it, and stops what did start;
 * it is clean only if startup had finished and the API drained in time.
 */

/** What `stop` needs of the API: its drain, true when it finished in time. */
export interface StoppableApi {
  url: string;
  close(): Promise<boolean>;
}

/** What `stop` needs of the worker (a drain that timed out still counts as clean, see below). */
export interface StoppableWorker {
  close(): Promise<unknown>;
}

/** The steps, in order, and what runs after the roles stopped. */
export interface AllInOneSteps<A extends StoppableApi, W extends StoppableWorker> {
  /** Runs before the roles start (building the dashboard). Default: nothing. */
  prepare?: () => Promise<void>;
  startApi: () => Promise<A>;
  startWorker: () => Promise<W>;
  /** Runs last on every stop, clean or not (stopping a private redis-server). */
  afterStop: () => Promise<void>;
}

export interface AllInOneOptions {
  /** How long a stop waits for the startup step under way, in ms (the config's SHUTDOWN_TIMEOUT_MS). */
  startupTimeoutMs: number;
  /** Told when a stop gave up waiting for startup. Default: nothing. */
  onStartupTimeout?: () => void;
}

export interface AllInOne<A extends StoppableApi, W extends StoppableWorker> {
  /** Settles when startup finished, was cut short by a stop, or failed (then it rejects). */
  startup: Promise<void>;
  /** The roles started so far. */
  started: { api?: A; worker?: W };
  /** True once `stop` was called. */
  readonly stopping: boolean;
  /** Stops the process's roles, at most once (later calls get the same promise); true if clean. */
  stop(): Promise<boolean>;
}

export function startAllInOne<A extends StoppableApi, W extends StoppableWorker>(steps: AllInOneSteps<A, W>, options: AllInOneOptions): AllInOne<A, W> {
  const started: { api?: A; worker?: W } = {};
  let stopping: Promise<boolean> | undefined;
  const startup = (async () => {
    await steps.prepare?.();
    if (stopping) return;
    started.api = await steps.startApi();
    if (stopping) return;
    started.worker = await steps.startWorker();
  })();

  const stopAll = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      startup.then(
        () => "finished" as const,
        () => "failed" as const,
      ),
      new Promise<"timed out">((resolve) => (timer = setTimeout(() => resolve("timed out"), options.startupTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome === "timed out") options.onStartupTimeout?.();
    try {
      // Only the API's drain decides beyond that: a worker drain that timed out leaves its jobs
      // to be picked up again once their locks expire, as a worker process does.
      const [apiClean] = await Promise.all([started.api?.close() ?? true, started.worker?.close()]);
      return apiClean && outcome === "finished";
    } finally {
      await steps.afterStop();
    }
  };

  return {
    startup,
    started,
    get stopping() {
      return stopping !== undefined;
    },
    stop: () => (stopping ??= stopAll()),
  };
}
