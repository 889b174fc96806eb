/**
 * A lean reader for the common JSON body: `Content-Type: application/json` (no parameter, or
 * `charset=utf-8`), a declared `Content-Length` from 1 to the limit, no `Content-Encoding`.
 * Under load, `express.json` and `express.text` (body-parser: content-type parsing, type-is,
 * raw-body's stream handling, iconv-lite decoding) cost about as much again as reading and
 * parsing the bytes (BENCHMARKS.md, profile findings); for this one shape of request they do
 * nothing this reader does not. Every other request goes to body-parser as before
 * (`jsonBody`'s fallback; the tRPC fast path checks the same shape and otherwise hands the
 * request to tRPC's adapter), so chunked, compressed, other-charset, empty and oversized
 * bodies are answered exactly as before.
 *
 * Read here, a body is decoded as body-parser decodes UTF-8 (a leading byte-order mark
 * dropped, invalid sequences replaced) and, for `jsonBody`, parsed as its strict JSON parser
 * does: an object or an array, else an error of type `entity.parse.failed` (400), which the
 * app's error handler answers as for body-parser's own.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";

/** A body-reading failure in body-parser's form (`status`, `type`), for the app's error handler. */
class BodyReadError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
  ) {
    super(message);
    this.name = "BodyReadError";
  }
}

const PLAIN_JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;

/**
 * The declared length of a request this reader takes (a JSON body of 1 to `limit` bytes as
 * above), or undefined for one to leave to body-parser.
 */
export function leanBodyLength(req: Request, limit: number): number | undefined {
  const headers = req.headers;
  if (headers["content-encoding"] !== undefined || headers["transfer-encoding"] !== undefined) return undefined;
  const type = headers["content-type"];
  if (type === undefined || !PLAIN_JSON_TYPE.test(type)) return undefined;
  const length = Number(headers["content-length"]);
  return Number.isInteger(length) && length > 0 && length <= limit ? length : undefined;
}

/**
 * Reads a body of `length` bytes as UTF-8 text (a leading BOM dropped) and calls `done` once:
 * with the text, or with an error as body-parser's when the client goes away. A callback and
 * unnamed listeners rather than a promise and named handlers: this runs once per request, and
 * each named closure costs a `defineProperty` under tsx's keep-names transform. The listeners
 * stay on the request, which is discarded after its answer; one firing after `done` does nothing.
 */
export function readBodyText(req: Request, length: number, done: (error: Error | undefined, text?: string) => void): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const finish = (error: Error | undefined, text?: string): void => {
    if (settled) return;
    settled = true;
    done(error, text);
  };
  req.on("data", (chunk: Buffer) => {
    received += chunk.length;
    chunks.push(chunk);
  });
  req.on("end", () => {
    // Node frames a body by its Content-Length, so a mismatch is only a defensive check.
    if (received !== length) return finish(new BodyReadError("request size did not match content length", 400, "request.size.invalid"));
    const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString("utf8");
    // The request lives on while its procedure runs: let its raw chunks go now, as raw-body does.
    chunks.length = 0;
    finish(undefined, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  });
  // "close" follows every request, read or not: only one that closes before its end is an abort
  // (checked first, as an Error captures a stack trace when made).
  const aborted = (): void => {
    if (!settled) finish(new BodyReadError("request aborted", 400, "request.aborted"));
  };
  req.on("error", aborted);
  req.on("close", aborted);
}

/** JSON as body-parser's strict parser reads it: an object or an array ({} for an empty body, a BOM alone included). */
function parseStrictJson(text: string): unknown {
  if (text.length === 0) return {};
  const first = /^[ \t\n\r]*(.?)/.exec(text)![1];
  if (first !== "{" && first !== "[") throw new BodyReadError("the body is not a JSON object or array", 400, "entity.parse.failed");
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyReadError("the body is not valid JSON", 400, "entity.parse.failed");
  }
}

/**
 * Middleware setting `req.body` to the parsed JSON of a request the lean reader takes, and
 * handing every other request to `fallback` (the route's `express.json`).
 */
export function jsonBody(limit: number, fallback: RequestHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const length = leanBodyLength(req, limit);
    // A body already read by something before (never here today) is body-parser's to skip.
    if (length === undefined || req.readableEnded) return fallback(req, res, next);
    readBodyText(req, length, (error, text) => {
      if (error) return next(error);
      let body: unknown;
      try {
        body = parseStrictJson(text!);
      } catch (parseError) {
        return next(parseError);
      }
      req.body = body;
      next();
    });
  };
}
