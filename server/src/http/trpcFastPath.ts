/**
 * Serves the common tRPC calls — queries (GET) and mutations (POST), single or batched, JSON with
 * superjson — on Node's request and response directly, without tRPC's Fetch adapter. A profile
 * of `/trpc` under load put about a third of the server's busy time in that adapter: turning
 * Node's request into a Fetch `Request`, AbortSignal plumbing, and writing the Fetch `Response`
 * back (BENCHMARKS.md, "Profile findings"). The answers are tRPC's own: the same error shape
 * (tRPC's `getErrorShape`, so our `errorFormatter`), status (`getHTTPStatusCode`), transformer
 * (`transformTRPCResponse`) and headers, which `test/e2e/trpcConformance.test.ts` checks against
 * `@trpc/client` and against tRPC's adapter for every procedure.
 *
 * Anything else goes on, untouched, to tRPC's adapter (`next()`), which answers it as before:
 * subscriptions and streaming (`trpc-accept`, `text/event-stream`), unknown procedures, a method
 * that does not fit the procedure, percent-encoded paths, a body without a declared length or
 * above the limit, compressed or non-UTF-8 bodies, JSON that does not parse, a batch that is
 * not an object or is over the cap. A body already read is handed on as `req.body` (a string),
 * which tRPC's adapter reads instead of the stream.
 */
import type { NextFunction, Request, Response } from "express";
import express from "express";
import { TRPCError, type AnyRouter } from "@trpc/server";
import { getErrorShape, getHTTPStatusCode, getTRPCErrorFromUnknown, transformTRPCResponse } from "@trpc/server/unstable-core-do-not-import";
import type { RequestContext } from "../requestContext.js";
import { procedureTable, type CallableProcedure } from "../trpc/procedureTable.js";

/** What the fast path needs; the same hooks tRPC's adapter is given (app.ts builds both from one set). */
export interface TrpcFastPathOptions {
  router: AnyRouter;
  /** Largest body served here, in bytes; a larger one goes to tRPC's adapter (which refuses it). */
  maxBodyBytes: number;
  /** Most calls in one batch; a larger batch goes to tRPC's adapter (which refuses it). */
  maxBatchSize: number;
  createContext(req: Request, res: Response): RequestContext;
  onError(error: TRPCError, path: string, ctx: RequestContext): void;
  /** Extra response headers for the failed calls of one request (Retry-After). */
  errorHeaders(errors: readonly TRPCError[]): Record<string, string>;
}

/** Paths that need no decoding: procedure names joined by commas. */
const PLAIN_PATHS = /^[A-Za-z0-9_.,-]+$/;

type CallResult = [error: TRPCError, data: undefined] | [error: undefined, data: unknown];

function isPlainJson(req: Request): boolean {
  const [type = "", ...parameters] = (req.headers["content-type"] ?? "").split(";");
  if (type.trim().toLowerCase() !== "application/json") return false;
  // A charset other than UTF-8 is decoded (or refused) by tRPC's adapter.
  return parameters.every((parameter) => /^\s*charset\s*=\s*"?utf-8"?\s*$/i.test(parameter));
}

/** What this path serves of one request. */
interface Plan {
  procedures: CallableProcedure[];
  batch: boolean;
  /** A GET's `input` query parameter (its JSON text). */
  input: string | undefined;
}

/**
 * What of a request this path serves, or undefined to hand it to tRPC's adapter. Reads the query
 * once: Express 5 parses the query string again on every `req.query`.
 */
function plan(req: Request, table: ReadonlyMap<string, CallableProcedure>, options: TrpcFastPathOptions): Plan | undefined {
  if (req.headers["trpc-accept"] !== undefined || /text\/event-stream/i.test(req.headers.accept ?? "")) return undefined;
  const wanted = req.method === "GET" ? "query" : req.method === "POST" ? "mutation" : undefined;
  if (wanted === undefined) return undefined;
  if (req.method === "POST") {
    const length = Number(req.headers["content-length"]);
    if (!(length <= options.maxBodyBytes) || req.headers["content-encoding"] !== undefined || !isPlainJson(req)) return undefined;
  }
  // As tRPC's Express adapter: the procedure path is the last segment of the path.
  const path = req.path.slice(req.path.lastIndexOf("/") + 1);
  if (!PLAIN_PATHS.test(path)) return undefined;
  const { batch: batchParameter, input } = req.query;
  if ((batchParameter !== undefined && typeof batchParameter !== "string") || (input !== undefined && typeof input !== "string")) return undefined;
  const batch = batchParameter === "1";
  const paths = batch ? path.split(",") : [path];
  if (paths.length > options.maxBatchSize) return undefined;
  const procedures: CallableProcedure[] = [];
  for (const name of paths) {
    const procedure = table.get(name);
    if (procedure?.type !== wanted) return undefined;
    procedures.push(procedure);
  }
  return { procedures, batch, input };
}

/** The parsed JSON (batch: the object of inputs by index), or `invalid` for what tRPC's adapter should answer. */
function parseJson(text: string | undefined, batch: boolean): { value: unknown } | "invalid" {
  if (text === undefined || text === "") return { value: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "invalid";
  }
  if (batch && (typeof value !== "object" || value === null)) return "invalid";
  return { value };
}

/** Express middleware for `/trpc`: serves what it can, `next()` for the rest (mount tRPC's adapter after it). */
export function createTrpcFastPath(options: TrpcFastPathOptions) {
  const table = procedureTable(options.router);
  const config = options.router._def._config;
  // A string body, so tRPC's adapter can take over a body this path has read but will not serve.
  const readText = express.text({ type: () => true, limit: options.maxBodyBytes });

  async function serve(req: Request, res: Response, procedures: CallableProcedure[], batch: boolean, json: unknown): Promise<void> {
    const ctx = options.createContext(req, res);
    // Deserialised once, on the first call that reads its input, like tRPC's own memoised reader,
    // and like it a transformer that cannot read the input is the client's mistake (400).
    let deserialized: Promise<unknown[]> | undefined;
    const inputs = () =>
      (deserialized ??= (async () => {
        const out: unknown[] = [];
        if (json === undefined) return out;
        if (!batch) out[0] = config.transformer.input.deserialize(json);
        else {
          procedures.forEach((_procedure, index) => {
            const value = (json as Record<number, unknown>)[index];
            if (value !== undefined) out[index] = config.transformer.input.deserialize(value);
          });
        }
        return out;
      })().catch((cause: unknown) => {
        if (cause instanceof TRPCError) throw cause;
        throw new TRPCError({ code: "BAD_REQUEST", message: cause instanceof Error ? cause.message : "Invalid input", cause });
      }));
    const results = await Promise.all(
      procedures.map(async (procedure, index): Promise<CallResult> => {
        try {
          return [undefined, await procedure.call(ctx, async () => (await inputs())[index], index)];
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          options.onError(error, procedure.path, ctx);
          return [error, undefined];
        }
      }),
    );
    const read = deserialized === undefined ? [] : await deserialized.catch(() => []);
    const items = results.map(([error, data], index) =>
      error
        ? { error: getErrorShape({ config, ctx, error, input: read[index], path: procedures[index]!.path, type: procedures[index]!.type }) }
        : { result: { data } },
    );
    const errors = results.map(([error]) => error);
    const failed = errors.filter((error): error is TRPCError => error !== undefined);
    const body = batch ? items : items[0]!;
    const status = getHTTPStatusCode(body, batch ? (errors as TRPCError[]) : failed);
    // A request timeout (408) may have answered while the calls ran.
    if (res.headersSent) return;
    res.statusCode = status;
    res.setHeader("vary", "trpc-accept, accept");
    res.setHeader("content-type", "application/json");
    for (const [name, value] of Object.entries(options.errorHeaders(failed))) res.setHeader(name, value);
    res.end(JSON.stringify(transformTRPCResponse(config, body)));
  }

  return (req: Request, res: Response, next: NextFunction): void => {
    const served = plan(req, table, options);
    if (!served) return next();
    const { procedures, batch } = served;
    const go = (text: string | undefined) => {
      const parsed = parseJson(text, batch);
      if (parsed === "invalid") return next();
      serve(req, res, procedures, batch, parsed.value).catch(next);
    };
    if (req.method === "GET") return go(served.input);
    readText(req, res, (error?: unknown) => {
      if (error) return next(error);
      go(req.body as string | undefined);
    });
  };
}
