/**
 * Answers what Node's HTTP parser refuses before Express ever sees a request (bytes that are not
 * HTTP/1.1, headers over Node's 16 KiB, a request whose headers and body have not all arrived
 * within HTTP_REQUEST_TIMEOUT_MS) in the public error format, instead of Node's bare status line:
 * a problem with a stable code, `X-Request-Id` and the headers every response carries, then the
 * connection is closed: after a parse error nothing more on it can be trusted. The API's server
 * and the worker's `/metrics` server both answer this way.
 *
 * One answer per request, never one for another: a request already handed to the app (a valid
 * request pipelined before the bytes that broke) keeps its own answer, and the connection closes
 * once that is sent; a request already answered whose body is still arriving (a 404 before the
 * body was read) only has its connection closed.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { ERROR_CODES, problemType, type ErrorCode, type Problem } from "../errors.js";

/** What each of Node's client errors means to a caller, in its own words (none of Node's). */
function refusalOf(error: NodeJS.ErrnoException): { code: ErrorCode; detail: string } {
  const refusal = (code: ErrorCode, detail: string) => ({ code, detail });
  switch (error.code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return refusal("REQUEST_TIMEOUT", "The request's headers and body did not all arrive in time; the connection is closed.");
    case "HPE_HEADER_OVERFLOW":
      return refusal("HEADERS_TOO_LARGE", "The request's headers are too large (16 KiB in all at most); the connection is closed.");
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return refusal("PAYLOAD_TOO_LARGE", "The body's chunk extensions are too large; the connection is closed.");
    default:
      return refusal("VALIDATION_FAILED", "The request is not valid HTTP/1.1 and could not be read; the connection is closed.");
  }
}

/** The problem details of a refusal made outside the app (no AppError, no Express). */
export function problemOf(code: ErrorCode, detail: string, requestId: string): Problem {
  const { status, title } = ERROR_CODES[code];
  return { type: problemType(code), title, status, detail, code, requestId };
}

/** A whole HTTP/1.1 problem response, written to a socket as it is (when no ServerResponse exists for it). */
export function rawProblemResponse(code: ErrorCode, detail: string, requestId: string, headers: Record<string, string> = {}): string {
  const problem = problemOf(code, detail, requestId);
  const body = JSON.stringify(problem);
  return [
    `HTTP/1.1 ${problem.status} ${problem.title}`,
    "Content-Type: application/problem+json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    "X-Content-Type-Options: nosniff",
    "Cache-Control: no-store",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/** The answer to one of Node's client errors. */
export function clientErrorResponse(error: NodeJS.ErrnoException, requestId: string): string {
  const { code, detail } = refusalOf(error);
  return rawProblemResponse(code, detail, requestId);
}

/** The last request a connection handed to the app, and its response. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
}

const lastExchange = new WeakMap<Duplex, Exchange>();

/** Replaces Node's default answer to client errors on `server` (see the file's header). */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on("request", (req: IncomingMessage, res: ServerResponse) => lastExchange.set(req.socket, { req, res }));
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    const last = lastExchange.get(socket);
    if (error.code !== "ECONNRESET") logger.debug({ code: error.code }, "refused what the HTTP parser could not take");
    if (last && !last.res.writableFinished) {
      if (last.req.complete) {
        // Received whole and in the app's hands: its answer stands; then the connection closes.
        last.res.shouldKeepAlive = false;
        last.res.once("close", () => socket.destroy());
        return;
      }
      // Its own headers arrived but its body is what broke or timed out: answer it, unless its
      // response has begun, under the id it was given.
      const given = last.res.getHeader("X-Request-Id");
      if (socket.writable && !last.res.headersSent) socket.write(clientErrorResponse(error, typeof given === "string" ? given : randomUUID()));
      socket.destroy();
      return;
    }
    // Answered already while its body was still arriving: only close. Else the bytes that broke
    // are a new request's head, which gets the answer.
    const answeredEarly = last !== undefined && !last.req.complete;
    if (!answeredEarly && socket.writable) socket.write(clientErrorResponse(error, randomUUID()));
    socket.destroy();
  });
}
