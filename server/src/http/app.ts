/**
 * The Express app: request ids, tRPC at /trpc (a fast path for the common calls, tRPC's adapter for the rest), the REST aliases, and one error format for
 * everything (including body-parser failures and unknown paths).
 */
import express, { type NextFunction, type Request, type Response } from "express";
import type { TRPCError } from "@trpc/server";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import { DASHBOARD_PATH, mountDashboard } from "../dashboard/mountDashboard.js";
import type { ServerDeps } from "../serverDeps.js";
import { MethodNotAllowedError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../errors/appErrors.js";
import { toAppError } from "../errors/problem.js";
import { mountOpenApi, OPENAPI_PATHS } from "../openapi/index.js";
import { aliasMethodLookup, MAX_BODY_BYTES, mountRestAliases } from "../rest/mountAliases.js";
import { procedureRoutes } from "../rest/routes.js";
import { createStaticAliasTable } from "../rest/staticAliasTable.js";
import type { AppRouter } from "../trpc/appRouter.js";
import type { RequestContext } from "../requestContext.js";
import { buildRequestContext } from "./buildRequestContext.js";
import { createMetricsEndpoint } from "./metricsEndpoint.js";
import { requestIdMiddleware, requestIdOf } from "./requestId.js";
import { observeRequests } from "./requestObserver.js";
import { sendProblem } from "./sendProblem.js";
import { securityHeaders, trpcTransportGuard } from "./transportGuards.js";
import { createTrpcFastPath } from "./trpcFastPath.js";
import { runWithRequestId } from "../trpc/adapterRequestId.js";

/** Options of `createApp`. */
export interface AppOptions {
  /** The dashboard's build folder served at /admin; default `DEFAULT_DASHBOARD_BUILD_DIR` (`<repo>/dashboard/dist`). */
  dashboardBuildDir?: string | undefined;
  /**
   * Serve the common `/trpc` calls on the fast path (`trpcFastPath.ts`); default true. `false`
   * sends every call through tRPC's own adapter: the conformance test compares the two, and it
   * rules the fast path out when a tRPC client misbehaves.
   */
  trpcFastPath?: boolean | undefined;
}

interface BodyParserError {
  type?: string;
  status?: number;
}

/** The longest wait any failed call asks for (a 503's, a 409 in-use's), as REST sends it. */
function retryAfterOf(errors: readonly TRPCError[]): Record<string, string> {
  const waits = errors.map((error) => toAppError(error).retryAfterSeconds).filter((seconds): seconds is number => seconds !== undefined);
  return waits.length > 0 ? { "Retry-After": String(Math.max(...waits)) } : {};
}

/** Paths served ahead of the REST aliases (besides the OpenAPI and dashboard mounts). */
const LIVENESS_PATH = "/health/live";
const METRICS_PATH = "/metrics";
const TRPC_PATH = "/trpc";

export function createApp(deps: ServerDeps, appRouter: AppRouter, options: AppOptions = {}): express.Express {
  const app = express();
  app.disable("x-powered-by");
  // Every answer is `Cache-Control: no-store` (securityHeaders), so an ETag (a SHA-1 of each
  // JSON body, Express's default) buys a client nothing and costs every request. The dashboard's
  // static files keep theirs (express.static sets its own).
  app.disable("etag");
  app.set("trust proxy", deps.config.trustProxy);
  app.use(requestIdMiddleware);
  app.use(securityHeaders);
  // Access log line and request counters, on response finish; the route is known by then.
  app.use(observeRequests(deps, procedureRoutes(appRouter), { staticMounts: [DASHBOARD_PATH] }));
  app.use((_req, res, next) => {
    // While draining, tell keep-alive clients to reconnect elsewhere after this response.
    if (deps.lifecycle.draining) res.setHeader("Connection", "close");
    next();
  });
  // The aliases without `:params` straight from a table, not at the end of the router walk;
  // filled by mountRestAliases below, which refuses an alias on a path a layer in between serves.
  const staticAliases = createStaticAliasTable({
    routes: [LIVENESS_PATH, METRICS_PATH, OPENAPI_PATHS.document, OPENAPI_PATHS.page],
    mounts: [TRPC_PATH, DASHBOARD_PATH],
  });
  app.use(staticAliases.dispatch);

  app.use(TRPC_PATH, trpcTransportGuard({ logger: deps.logger }));
  // The same hooks for both: the fast path serves the common calls, tRPC's adapter the rest.
  const createContext = (req: Request, res: Response) => buildRequestContext(req, res, deps.keyLookup);
  const onError = (error: TRPCError, path: string | undefined, ctx: RequestContext | undefined) => {
    if (error.code === "INTERNAL_SERVER_ERROR") deps.logger.error({ err: error.cause ?? error, path, requestId: ctx?.requestId }, "procedure failed");
  };
  // Refused with 400 before any call runs: each call is a rate-limit check and Redis work.
  const maxBatchSize = deps.config.trpcMaxBatch;
  if (options.trpcFastPath !== false) app.use(TRPC_PATH, createTrpcFastPath({ router: appRouter, maxBodyBytes: MAX_BODY_BYTES, maxBatchSize, createContext, onError, errorHeaders: retryAfterOf }));
  const trpcAdapter = createExpressMiddleware({
    router: appRouter,
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize,
    createContext: ({ req, res }) => createContext(req, res),
    onError: ({ error, path, ctx }) => onError(error, path, ctx),
    // An error answer is JSON, also one tRPC gives before it has parsed the request (it would
    // say text/plain there).
    responseMeta: ({ errors }) => ({ headers: errors.length > 0 ? { ...retryAfterOf(errors), "content-type": "application/json" } : {} }),
  });
  app.use(TRPC_PATH, (req, res, next) => runWithRequestId(requestIdOf(res), () => trpcAdapter(req, res, next)));

  // After /trpc, so a tRPC call (the SDK's every call) walks two layers fewer; no path overlaps.
  app.get(LIVENESS_PATH, (_req, res) => {
    res.json({ status: "ok" });
  });

  app.get(METRICS_PATH, createMetricsEndpoint(deps));

  // Open like /health: the OpenAPI document of the REST aliases and a page rendering it.
  mountOpenApi(app, appRouter);

  // The admin dashboard's static files; its data comes from the admin procedures like any client's.
  if (deps.config.dashboardEnabled) mountDashboard(app, deps.logger, options.dashboardBuildDir);

  const aliasMethodsOf = aliasMethodLookup(mountRestAliases(app, appRouter, deps.keyLookup, deps.logger, staticAliases));

  app.use((req: Request, res: Response) => {
    const allowed = aliasMethodsOf(req.path);
    if (allowed.length > 0 && req.method === "OPTIONS") {
      res.setHeader("Allow", allowed.join(", "));
      res.status(204).end();
      return;
    }
    const error = allowed.length > 0 ? new MethodNotAllowedError(allowed) : new NotFoundError(`No endpoint ${req.method} ${req.path}.`);
    sendProblem(res, error, deps.logger);
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const parserError = error as BodyParserError;
    if (parserError.type === "entity.too.large") return sendProblem(res, new PayloadTooLargeError(MAX_BODY_BYTES), deps.logger);
    if (parserError.type === "entity.parse.failed") {
      return sendProblem(res, new ValidationError([{ path: "", message: "the body is not valid JSON" }], "The body is not valid JSON."), deps.logger);
    }
    // A charset or Content-Encoding body-parser does not read is the body's format: 415, as a
    // wrong Content-Type is (API.md), not a 400.
    if (parserError.status === 415) {
      const message = parserError.type === "encoding.unsupported" ? "The body's Content-Encoding is not supported." : "The body's charset is not supported: send JSON in UTF-8.";
      return sendProblem(res, new UnsupportedMediaTypeError(message), deps.logger);
    }
    // Express's router failing to decode a path parameter (`%E0%A4%A`): about the path, not the body.
    if (error instanceof URIError || (parserError.status === 400 && parserError.type === undefined && /decode param/i.test(String((error as Error).message)))) {
      return sendProblem(res, new ValidationError([{ path: "", message: "the path holds a malformed percent-encoding" }], "The path could not be decoded."), deps.logger);
    }
    if (parserError.status !== undefined && parserError.status >= 400 && parserError.status < 500) {
      return sendProblem(res, new ValidationError([{ path: "", message: "the body could not be read" }], "The body could not be read."), deps.logger);
    }
    sendProblem(res, error, deps.logger);
  });
  return app;
}
