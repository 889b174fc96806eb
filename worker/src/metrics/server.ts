/**
 * Serves the worker's `/metrics` on WORKER_METRICS_PORT. With API_KEYS set it asks for an admin
 * key, like the API's admin paths, with the same shared key lookup.
 */
import { once } from "node:events";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createKeyLookup, presentedKey, type ApiKeyEntry, type ErrorCode, type KeyLookup } from "@taskgate/shared";
import type { Logger } from "pino";
import { createHttpServer, sendRawProblem } from "@taskgate/shared/runtime";
import type { JobMetrics } from "./jobMetrics.js";

export interface MetricsServer {
  /** The port bound (useful with WORKER_METRICS_PORT=0). */
  port: number;
  close(): Promise<void>;
}

/** Who a request is: an admin, another key holder, or nobody (no or an unknown key). */
function callerOf(req: IncomingMessage, lookup: KeyLookup): "admin" | "user" | "none" {
  const header = req.headers["x-api-key"];
  const key = presentedKey(req.headers.authorization, typeof header === "string" ? header : undefined);
  const caller = key === undefined ? undefined : lookup(key);
  return caller === undefined ? "none" : caller.admin ? "admin" : "user";
}

function sendProblem(res: ServerResponse, code: ErrorCode, detail: string): void {
  sendRawProblem(res, code, detail, code === "UNAUTHORIZED" ? { "WWW-Authenticate": 'Bearer realm="taskgate"' } : {});
}

/** Starts the server; `apiKeys` undefined = open mode (no key needed). */
export async function startMetricsServer(options: { metrics: JobMetrics; port: number; host: string; apiKeys: readonly ApiKeyEntry[] | undefined; logger: Logger }): Promise<MetricsServer> {
  const lookup = options.apiKeys ? createKeyLookup(options.apiKeys) : undefined;
  const server: Server = createHttpServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") return sendProblem(res, "NOT_FOUND", "Only GET /metrics is served here.");
    if (lookup) {
      const caller = callerOf(req, lookup);
      if (caller === "none") return sendProblem(res, "UNAUTHORIZED", "A valid admin API key is required.");
      if (caller === "user") return sendProblem(res, "FORBIDDEN", "This endpoint needs an admin API key.");
    }
    options.metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { "Content-Type": options.metrics.registry.contentType });
        res.end(text);
      },
      (error: unknown) => {
        options.logger.warn({ err: error }, "could not render worker metrics");
        sendProblem(res, "INTERNAL", "Something went wrong on our side; it has been logged.");
      },
    );
  }, { logger: options.logger });
  server.listen(options.port, options.host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port, host: options.host }, "worker metrics listening");
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
