/**
 * Answers what Node's HTTP parser refuses before Express ever sees a request (bytes that are not
 * HTTP/1.1, headers over Node's 16 KiB, a request whose headers and body have not all arrived
 * within HTTP_REQUEST_TIMEOUT_MS) in the public error format, instead of Node's bare status line:
 * a problem with a stable code, `X-Request-Id` and the headers every response carries. As Node
 * does, it answers only when nothing of a response has been written to the socket yet, then
 * closes the connection: after a parse error nothing more on it can be trusted. The API's server
 * and the worker's `/metrics` server both answer this way.
 */
import { randomUUID } from "node:crypto";
import type { Server, ServerResponse } from "node:http";
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

/** The whole HTTP/1.1 response, written to the socket as it is (no ServerResponse exists for it). */
export function clientErrorResponse(error: NodeJS.ErrnoException, requestId: string): string {
  const { code, detail } = refusalOf(error);
  const { status, title } = ERROR_CODES[code];
  const problem: Problem = { type: problemType(code), title, status, detail, code, requestId };
  const body = JSON.stringify(problem);
  return [
    `HTTP/1.1 ${problem.status} ${problem.title}`,
    "Content-Type: application/problem+json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    "X-Content-Type-Options: nosniff",
    "Cache-Control: no-store",
    "Connection: close",
    "",
    body,
  ].join("\r\n");
}

/** Replaces Node's default answer to client errors on `server` (see the file's header). */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    // The response of the request being read, when its headers had arrived (a timed-out body):
    // its id is the one the request was given; a response already begun must not be corrupted.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
    const given = inFlight?.getHeader("X-Request-Id");
    const requestId = typeof given === "string" ? given : randomUUID();
    if (error.code !== "ECONNRESET") logger.debug({ code: error.code, requestId }, "refused a request the HTTP parser could not take");
    if (socket.writable && !inFlight?.headersSent) socket.write(clientErrorResponse(error, requestId));
    socket.destroy();
  });
}
