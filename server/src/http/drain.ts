/**
 * Graceful HTTP drain: stop accepting, let in-flight requests finish, close keep-alive sockets
 * as they go idle (busy ones get `Connection: close` on their last response), and give up at
 * a deadline — reporting what was still open, so an operator knows why.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** One request still being served. */
export interface InFlightRequest {
  method: string;
  url: string;
  ageMs: number;
}

/** Counts and tracks the requests a server serves. */
export interface RequestTracker {
  /** Requests that reached the server (their headers were parsed). */
  readonly received: number;
  /** Requests whose response was completely written. */
  readonly completed: number;
  inFlight(): InFlightRequest[];
  /** Marks draining: in-flight responses close their socket when done. */
  startDraining(): void;
}

export function trackRequests(server: Server): RequestTracker {
  const open = new Map<ServerResponse, { req: IncomingMessage; since: number }>();
  let received = 0;
  let completed = 0;
  let draining = false;
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader("Connection", "close");
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    received += 1;
    open.set(res, { req, since: Date.now() });
    if (draining) closeAfter(res);
    res.on("finish", () => {
      completed += 1;
    });
    res.on("close", () => {
      open.delete(res);
      // A keep-alive socket that just went idle during a drain is closed now rather than at its timeout.
      if (draining && res.socket && !res.socket.destroyed) res.socket.end();
    });
  });
  return {
    get received() {
      return received;
    },
    get completed() {
      return completed;
    },
    inFlight: () => [...open.values()].map(({ req, since }) => ({ method: req.method ?? "?", url: req.url ?? "?", ageMs: Date.now() - since })),
    startDraining() {
      draining = true;
      for (const res of open.keys()) closeAfter(res);
    },
  };
}

/** Result of a drain. */
export interface DrainResult {
  timedOut: boolean;
  /** What was still open at the deadline (empty when it drained in time). */
  stillOpen: InFlightRequest[];
}

/** Stops accepting and waits for in-flight requests, up to `timeoutMs`; then cuts what is left. */
export async function drainServer(server: Server, tracker: RequestTracker, timeoutMs: number): Promise<DrainResult> {
  tracker.startDraining();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([closed.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)))]);
  clearTimeout(timer);
  if (!timedOut) return { timedOut, stillOpen: [] };
  const stillOpen = tracker.inFlight();
  server.closeAllConnections();
  return { timedOut, stillOpen };
}
