/**
 * HTTP load with autocannon in a separate, long-lived process (`loadProcess.ts`), so the load
 * generator never shares an event loop with the server under test, which runs in the
 * benchmark's own process, and is started once rather than once per measurement.
 */
import { fork, type ChildProcess } from "node:child_process";

/** One load run. */
export interface LoadOptions {
  /** Full URL; must be on 127.0.0.1 (enforced). */
  url: string;
  method?: "GET" | "POST";
  /** JSON body, serialised once; a string is sent as it is (a body captured from a client). */
  body?: unknown;
  /** Extra request headers (`content-type: application/json` is set for a body unless given here). */
  headers?: Record<string, string> | undefined;
  /** A header given a fresh random UUID on every request, e.g. `idempotency-key`. */
  uniqueHeader?: string | undefined;
  connections: number;
  durationS: number;
  /** Seconds to give up on one request; default 10. */
  timeoutS?: number;
}

/** What a load run measured. */
export interface LoadResult {
  /** Mean of the per-second samples of completed requests (any status). */
  rps: number;
  /** Latency percentiles, in ms. */
  p50Ms: number;
  p99Ms: number;
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** IPC: parent → load process. */
export interface LoadRequest {
  id: number;
  options: LoadOptions;
}

/** IPC: load process → parent. */
export type LoadReply = { id: number; result: LoadResult } | { id: number; error: string };

/** A running load generator. */
export interface LoadGenerator {
  /** Runs one load; bounded by `durationS` plus a grace period, after which the process is killed. */
  run(options: LoadOptions): Promise<LoadResult>;
  close(): void;
}

/** Forks the load process (inheriting tsx's loader flags from this process). */
export function startLoadGenerator(): LoadGenerator {
  const child: ChildProcess = fork(new URL("./loadProcess.ts", import.meta.url), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let nextId = 0;
  const pending = new Map<number, { resolve: (result: LoadResult) => void; reject: (error: Error) => void }>();
  child.on("message", (reply: LoadReply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if ("error" in reply) waiter?.reject(new Error(`autocannon failed: ${reply.error}`));
    else waiter?.resolve(reply.result);
  });
  child.on("exit", (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load process exited (${signal ?? code})`));
    pending.clear();
  });
  return {
    run(options) {
      const url = new URL(options.url);
      if (url.hostname !== "127.0.0.1") return Promise.reject(new Error(`load only ever targets 127.0.0.1, not ${url.hostname}`));
      const id = nextId++;
      return new Promise<LoadResult>((resolve, reject) => {
        const killer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`load run did not finish within ${options.durationS + 20} s`));
        }, (options.durationS + 20) * 1000);
        pending.set(id, {
          resolve: (result) => (clearTimeout(killer), resolve(result)),
          reject: (error) => (clearTimeout(killer), reject(error)),
        });
        child.send({ id, options } satisfies LoadRequest);
      });
    },
    close() {
      if (child.connected) child.disconnect();
    },
  };
}
