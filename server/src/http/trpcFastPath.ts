/**
 * Serves the common tRPC calls — queries (GET) and mutations (POST), single or batched, JSON with
 * superjson — on Node's request and response directly, without tRPC's Fetch adapter. A profile
 * of `/trpc` under load put about a third of the server's busy time in that adapter: turning
 * Node's request into a Fetch `Request`, AbortSignal plumbing, and writing the Fetch `Response`
 * back (BENCHMARKS.md, "Profile findings"). The answers are tRPC's own: the same error shape
 * (tRPC's `getErrorShape`, so our `errorFormatter`), status (`getHTTPStatusCode`), transformer
 * (`transformTRPCResponse`, or for a success the literal it builds) and headers, which `test/e2e/trpcConformance.test.ts` checks against
 * `@trpc/client` and against tRPC's adapter for every procedure.
 *
 * Anything else goes on, untouched, to tRPC's adapter (`next()`), which answers it as before:
 * subscriptions and streaming (`trpc-accept`, `text/event-stream`, `application/jsonl`), unknown
 * procedures, a method that does not fit the procedure, percent-encoded paths, connection
 * parameters, a GET with a non-JSON body type, a query of 1 000 parameters or more, a body
 * without a declared length or above the limit, compressed or non-UTF-8 bodies, JSON that does
 * not parse, a batch that is not an object or is over the cap. A body already read is handed on as `req.body` (a string),
 * which tRPC's adapter reads instead of the stream.
 */
import type { NextFunction, Request, Response } from "express";
import { TRPCError, type AnyRouter } from "@trpc/server";
import { getErrorShape, getHTTPStatusCode, getTRPCErrorFromUnknown, transformTRPCResponse } from "@trpc/server/unstable-core-do-not-import";
import type { RequestContext } from "../requestContext.js";
import { leanBodyLength, readBodyText } from "./readBody.js";
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

/** `Accept` values tRPC's adapter answers with a stream. */
const STREAMING_ACCEPT = /text\/event-stream|application\/jsonl/i;
/** Query parameters Express's parser keeps (`qs`'s `parameterLimit`); tRPC's URLSearchParams keeps all. */
const MAX_QUERY_PARAMETERS = 1000;
/** Below this many characters a URL cannot hold that many parameters (an empty one is a lone "&"), so they are not counted. */
const LONG_URL = MAX_QUERY_PARAMETERS;

function countOf(text: string, character: string): number {
  let count = 0;
  for (let at = text.indexOf(character); at !== -1; at = text.indexOf(character, at + 1)) count++;
  return count;
}

/** What this path serves of one request. */
interface Plan {
  procedures: CallableProcedure[];
  batch: boolean;
  /** A GET's `input` query parameter (its JSON text). */
  input: string | undefined;
  /** A POST's declared body length (1 to the limit). */
  bodyLength: number | undefined;
}

/**
 * What of a request this path serves, or undefined to hand it to tRPC's adapter. Reads the query
 * once: Express 5 parses the query string again on every `req.query`.
 */
function plan(req: Request, table: ReadonlyMap<string, CallableProcedure>, options: TrpcFastPathOptions): Plan | undefined {
  // Streaming as tRPC reads it: its own header, SSE, or `Accept: application/jsonl`
  // (httpBatchStreamLink's `streamHeader: "accept"`).
  if (req.headers["trpc-accept"] !== undefined || STREAMING_ACCEPT.test(req.headers.accept ?? "")) return undefined;
  const wanted = req.method === "GET" ? "query" : req.method === "POST" ? "mutation" : undefined;
  if (wanted === undefined) return undefined;
  // A GET with a body type tRPC refuses (405), and queries this path would read differently from
  // tRPC's adapter: connection parameters, or more parameters than Express's parser keeps (1 000).
  if (wanted === "query" && req.headers["content-type"] !== undefined && !/^application\/json\b/i.test(req.headers["content-type"])) return undefined;
  if (req.url.length > LONG_URL && countOf(req.url, "&") >= MAX_QUERY_PARAMETERS - 1) return undefined;
  let bodyLength: number | undefined;
  if (req.method === "POST") {
    // A body without a declared length (or an empty one), compressed, not plain UTF-8 JSON, or
    // over the limit is tRPC's adapter's to read and answer.
    bodyLength = leanBodyLength(req, options.maxBodyBytes);
    if (bodyLength === undefined) return undefined;
  }
  // As tRPC's Express adapter: the procedure path is the last segment of the path.
  const path = req.path.slice(req.path.lastIndexOf("/") + 1);
  if (!PLAIN_PATHS.test(path)) return undefined;
  const { batch: batchParameter, input, connectionParams } = req.query;
  if (connectionParams !== undefined) return undefined;
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
  return { procedures, batch, input, bodyLength };
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
  // A batch's inputs are an object by index; tRPC's adapter refuses anything else (an array too).
  if (batch && (typeof value !== "object" || value === null || Array.isArray(value))) return "invalid";
  return { value };
}

/** Express middleware for `/trpc`: serves what it can, `next()` for the rest (mount tRPC's adapter after it). */
export function createTrpcFastPath(options: TrpcFastPathOptions) {
  const table = procedureTable(options.router);
  const config = options.router._def._config;

  async function serve(req: Request, res: Response, procedures: CallableProcedure[], batch: boolean, json: unknown): Promise<void> {
    const ctx = options.createContext(req, res);
    const input = inputReader(config, procedures, batch, json);
    const results = await Promise.all(
      procedures.map(async (procedure, index): Promise<CallResult> => {
        try {
          return [undefined, await procedure.call(ctx, async () => (await input.read())[index], index)];
        } catch (cause) {
          const error = getTRPCErrorFromUnknown(cause);
          options.onError(error, procedure.path, ctx);
          return [error, undefined];
        }
      }),
    );
    const read = await input.readSoFar();
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
    res.end(JSON.stringify(batch ? items.map((item) => wireItem(config, item)) : wireItem(config, items[0]!)));
  }

  return (req: Request, res: Response, next: NextFunction): void => {
    const served = plan(req, table, options);
    if (!served) return next();
    if (req.method === "GET") return serveText(served.input, served, req, res, next, serve);
    // plan() took only bodies the lean reader takes; the rest went to tRPC's adapter.
    readBodyText(req, served.bodyLength!, (error, text) => {
      if (error) return next(error);
      // Kept as a string for tRPC's adapter, should the body not parse (serveText hands it on).
      req.body = text;
      serveText(text, served, req, res, next, serve);
    });
  };
}

type Serve = (req: Request, res: Response, procedures: CallableProcedure[], batch: boolean, json: unknown) => Promise<void>;

/** Parses a request's JSON and serves it, or hands it to tRPC's adapter when it does not parse. */
function serveText(text: string | undefined, served: Plan, req: Request, res: Response, next: NextFunction, serve: Serve): void {
  const parsed = parseJson(text, served.batch);
  if (parsed === "invalid") return next();
  serve(req, res, served.procedures, served.batch, parsed.value).catch(next);
}

/** A tRPC router's runtime config, as the fast path reads it. */
type RouterConfig = AnyRouter["_def"]["_config"];

/**
 * The request's inputs, deserialised once, on the first call that reads its input, like tRPC's
 * own memoised reader; and like it, a transformer that cannot read the input is the client's
 * mistake (400). `readSoFar` gives what was read (nothing if no call asked), for error shapes.
 * (Built by a module-level function, as the other closures here: a keep-names transform adds a
 * `defineProperty` per request to every named closure made inside a request's function.)
 */
function inputReader(config: RouterConfig, procedures: readonly CallableProcedure[], batch: boolean, json: unknown) {
  let deserialized: Promise<unknown[]> | undefined;
  return {
    read: (): Promise<unknown[]> =>
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
        // The message is tRPC's adapter's (the cause's); the problem's detail is ours (toAppError).
        throw new TRPCError({ code: "BAD_REQUEST", message: cause instanceof Error ? cause.message : "Invalid input", cause });
      })),
    readSoFar: (): Promise<unknown[]> => (deserialized === undefined ? Promise.resolve([]) : deserialized.catch(() => [])),
  };
}

/**
 * One answer item as tRPC sends it: a success is `{ result: { data } }` with the data through
 * the output transformer, written here as the literal tRPC's `transformTRPCResponse` builds with
 * its object-spread helper; an error goes through `transformTRPCResponse` itself.
 */
function wireItem(config: RouterConfig, item: { result: { data: unknown } } | { error: unknown }): unknown {
  if ("error" in item) return transformTRPCResponse(config, item as Parameters<typeof transformTRPCResponse>[1]);
  return { result: { data: config.transformer.output.serialize(item.result.data) } };
}
