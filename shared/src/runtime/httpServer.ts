/**
 * The HTTP server of every Taskgate process (the API, the worker's `/metrics`): Node's, with
 * every answer Node would give by itself in the public error format instead (see
 * `clientErrors.ts` for what its parser refuses), and each connection's peer address kept from
 * the start.
 *
 * - A request without `Host` (HTTP/1.1 requires one): Node's own check writes a bare 400; here
 *   it is a 400 `VALIDATION_FAILED` problem, before the handler sees the request.
 * - `Expect` other than `100-continue`: Node answers a bare 417; here the request is served as
 *   if the header were absent, which RFC 9110 allows (a server MAY answer 417).
 * - `CONNECT`: Node closes the socket without a word; here it is a 405 problem.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { answerClientErrors, rawProblemResponse, sendRawProblem } from "./clientErrors.js";

/** Options of `createHttpServer`: Node's server options (timeouts), and where to log. */
export interface HttpServerOptions extends Omit<ServerOptions, "requireHostHeader"> {
  logger: Logger;
}

/** Longest a refused CONNECT's socket stays while its 405 goes out, in ms. */
const CONNECT_LINGER_MS = 1_000;

/** Methods Taskgate's servers answer at all (what a 405 for CONNECT lists). */
const SERVED_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS";

export function createHttpServer(handler: RequestListener, options: HttpServerOptions): Server {
  const { logger, ...nodeOptions } = options;
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.host === undefined && req.httpVersion === "1.1") return sendRawProblem(res, "VALIDATION_FAILED", "An HTTP/1.1 request needs a Host header.", { Connection: "close" });
    handler(req, res);
  };
  // Node's own Host check would answer before `serve` could.
  const server = createServer({ ...nodeOptions, requireHostHeader: false }, serve);
  server.on("connection", (socket: Socket) => {
    // Read once now, so Node keeps it: a socket already closed by the time a request it carried
    // is handled (a client that reset right after sending) still has its peer's address, which
    // the request's identity is (its rate limits, its idempotency scope in open mode).
    void socket.remoteAddress;
  });
  // As a request like any other, so every `request` listener (the drain's, the client-error
  // answer's) sees it too.
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => server.emit("request", req, res));
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    // Node has let go of this socket (no server timeout, no closeAllConnections reaches it), and
    // the server is half-open: ending alone would wait for the client. So it goes once the 405 is
    // out, or after a second whatever the client does.
    socket.on("error", () => undefined);
    const gone = setTimeout(() => socket.destroy(), CONNECT_LINGER_MS);
    gone.unref();
    socket.end(rawProblemResponse("METHOD_NOT_ALLOWED", "CONNECT is not served here.", randomUUID(), { Allow: SERVED_METHODS }), () => {
      clearTimeout(gone);
      socket.destroy();
    });
  });
  answerClientErrors(server, logger);
  return server;
}
