/**
 * Guards in front of the handlers: what every response carries (`nosniff`, `no-store`), and the
 * client mistakes on the tRPC transport that tRPC's adapter would otherwise answer with a 500
 * (a wrong method, a body that is not JSON). Each is refused before any procedure runs. (The
 * batch cap is tRPC's own `maxBatchSize`, set in app.ts.)
 */
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import { MethodNotAllowedError, UnsupportedMediaTypeError } from "../errors/appErrors.js";
import { sendProblem } from "./sendProblem.js";

/** `X-Content-Type-Options: nosniff` and `Cache-Control: no-store` on every response; static files set their own caching after this. */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Cache-Control", "no-store");
  next();
}

/** Whether the request carries a body (a length above 0, or a chunked one). */
export function hasBody(req: Request): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/** Whether the body is declared as JSON: `application/json` or `application/*+json`, with no charset or UTF-8. */
export function isJsonBody(req: Request): boolean {
  const [mediaType, ...parameters] = (req.headers["content-type"] ?? "").split(";");
  const type = mediaType!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) return false;
  // JSON is UTF-8 (RFC 8259): a body labelled with another charset is refused on both
  // transports alike (body-parser refuses most of them on REST; tRPC would read it as UTF-8).
  const charset = parameters.map((parameter) => /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(parameter)?.[1]).find((value) => value !== undefined);
  return charset === undefined || /^utf-?8$/i.test(charset);
}

const TRPC_METHODS = ["GET", "POST"] as const;

/**
 * Mounted on `/trpc`: 405 for a method other than GET and POST (OPTIONS answers 204 with
 * `Allow` and no CORS headers, so a cross-origin preflight fails cleanly), 415 for a body
 * that is not JSON.
 */
export function trpcTransportGuard(options: { logger: Logger }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === "OPTIONS") {
      res.setHeader("Allow", TRPC_METHODS.join(", "));
      res.status(204).end();
      return;
    }
    if (!(TRPC_METHODS as readonly string[]).includes(req.method)) return sendProblem(res, new MethodNotAllowedError(TRPC_METHODS), options.logger);
    if (hasBody(req) && !isJsonBody(req)) return sendProblem(res, new UnsupportedMediaTypeError(), options.logger);
    next();
  };
}
