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
function problemOf(code: ErrorCode, detail: string, requestId: string): Problem {
  const { status, title } = ERROR_CODES[code];
  return { type: problemType(code), title, status, detail, code, requestId };
}

/**
 * Answers `res` with a refusal made outside the app (the HTTP server's own checks, the worker's
 * `/metrics`): its own request id in the body and the header, and the headers every response
 * carries, plus `headers`.
 */
export function sendRawProblem(res: ServerResponse, code: ErrorCode, detail: string, headers: Record<string, string> = {}): void {
  const problem = problemOf(code, detail, randomUUID());
  const body = JSON.stringify(problem);
  res.writeHead(problem.status, { "Content-Type": "application/problem+json", "Content-Length": Buffer.byteLength(body), "X-Request-Id": problem.requestId, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", ...headers });
  res.end(body);
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
function clientErrorResponse(error: NodeJS.ErrnoException, requestId: string): string {
  const { code, detail } = refusalOf(error);
  return rawProblemResponse(code, detail, requestId);
}

/**
 * What the client-error answer needs to know of one connection, kept small: nothing of a request
 * outlives its response (an idle keep-alive connection holds no body).
 */
interface ConnectionState {
  /** The latest request handed to the app, while its response is not closed. */
  current: { req: IncomingMessage; res: ServerResponse } | undefined;
  /** Responses handed to the app and not closed yet (more than one when requests are pipelined). */
  open: number;
  /** The latest response closed while its request's body was still arriving. */
  answeredEarly: boolean;
  /** Set once a client error is being handled: called when the last open response closes. */
  onIdle: (() => void) | undefined;
}

const connections = new WeakMap<Duplex, ConnectionState>();
/** Connections whose client error is handled: the broken parser reports again on every later chunk. */
const refused = new WeakSet<Duplex>();

/** Follows one request's response on its connection's state (a `request` listener). */
function track(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  let state = connections.get(socket);
  if (!state) connections.set(socket, (state = { current: undefined, open: 0, answeredEarly: false, onIdle: undefined }));
  const tracked = state;
  tracked.current = { req, res };
  tracked.open += 1;
  tracked.answeredEarly = false;
  res.once("close", () => {
    tracked.open -= 1;
    if (tracked.current?.res === res) {
      tracked.current = undefined;
      tracked.answeredEarly = !req.complete;
    }
    if (tracked.open === 0) tracked.onIdle?.();
  });
}

/** Replaces Node's default answer to client errors on `server` (see the file's header). */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on("request", track);
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (refused.has(socket)) return;
    refused.add(socket);
    if (error.code !== "ECONNRESET") logger.debug({ code: error.code }, "refused what the HTTP parser could not take");
    const state = connections.get(socket);
    const current = state?.current;
    if (state && current && !current.req.complete) {
      // Its own headers arrived but its body is what broke or timed out: answer it under the id
      // it was given, unless its response has begun or others are still queued before it.
      const given = current.res.getHeader("X-Request-Id");
      if (socket.writable && state.open === 1 && !current.res.headersSent) socket.write(clientErrorResponse(error, typeof given === "string" ? given : randomUUID()));
      socket.destroy();
      return;
    }
    if (state && state.open > 0) {
      // Received whole and in the app's hands: their answers stand; then the connection closes.
      if (current && !current.res.headersSent) current.res.shouldKeepAlive = false;
      state.onIdle = () => socket.destroy();
      return;
    }
    // Answered already while its body was still arriving: only close. Else the bytes that broke
    // are a new request's head, which gets the answer.
    if (!state?.answeredEarly && socket.writable) socket.write(clientErrorResponse(error, randomUUID()));
    socket.destroy();
  });
}
