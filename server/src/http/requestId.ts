/**
 * Gives every request an id: the caller's `X-Request-Id` when it is sane, else a new UUID.
 * It is echoed on every response and carried into job data and logs.
 */
import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const sent = req.get("x-request-id");
  const requestId = sent && SANE_REQUEST_ID.test(sent) ? sent : randomUUID();
  res.locals.requestId = requestId;
  res.setHeader("X-Request-Id", requestId);
  next();
}

/** The id `requestIdMiddleware` gave this response. */
export function requestIdOf(res: Response): string {
  return (res.locals.requestId as string | undefined) ?? "unknown";
}
