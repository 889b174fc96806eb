/**
 * Writes an error as `application/problem+json` — the one place REST errors leave the server.
 */
import type { Response } from "express";
import type { Logger } from "pino";
import { MethodNotAllowedError } from "../errors/appErrors.js";
import { toAppError, toProblem } from "../errors/problem.js";
import { requestIdOf } from "./requestId.js";

export function sendProblem(res: Response, error: unknown, logger: Logger): void {
  const appError = toAppError(error);
  const requestId = requestIdOf(res);
  if (appError.code === "INTERNAL") logger.error({ err: error, requestId }, "request failed");
  if (res.headersSent) {
    res.end();
    return;
  }
  const problem = toProblem(appError, requestId);
  if (appError instanceof MethodNotAllowedError) res.setHeader("Allow", appError.allow.join(", "));
  if (appError.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(appError.retryAfterSeconds));
  res.status(problem.status).type("application/problem+json").send(JSON.stringify(problem));
}
