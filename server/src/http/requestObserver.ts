/**
 * Observes every request when its response finishes: one access log line with the request id
 * (so a request can be followed into the worker's lines for its job), and — unless
 * METRICS_ENABLED=false — the Prometheus counters and the shared Redis time buckets (summed in
 * memory and flushed once per METRICS_FLUSH_MS, off the request path).
 */
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import type { CounterBuffer } from "@taskgate/shared/runtime";
import { requestCounterFields, type ApiMetrics } from "../observability/index.js";
import type { ServerDeps } from "../serverDeps.js";
import { requestIdOf } from "./requestId.js";
import { createRouteResolver, type RouteResolverOptions } from "./routeOf.js";

export interface RequestObserverDeps {
  logger: Logger;
  /** Names the route of a finished request (see `createRouteResolver`). */
  routeOf: (req: Request) => string;
  /** Undefined when requests are not counted (METRICS_ENABLED=false). */
  metrics: ApiMetrics | undefined;
  /** Where request counts are summed before they go to Redis. */
  counters: CounterBuffer;
}

export function createRequestObserver(deps: RequestObserverDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = deps.routeOf(req);
      const status = res.statusCode;
      const requestId = requestIdOf(res);
      // Health probes arrive every few seconds from load balancers: keep them out of info logs.
      const level = route.startsWith("GET /health") ? "debug" : "info";
      if (deps.logger.isLevelEnabled(level)) deps.logger[level]({ requestId, method: req.method, route, status, durationMs: Math.round(seconds * 1000) }, "request finished");
      if (!deps.metrics) return;
      deps.metrics.observeRequest(route, status, seconds);
      deps.counters.add("requests", Date.now(), requestCounterFields({ route, status }));
    });
    next();
  };
}

/** The observer of one API process, from its dependencies, the route of each tRPC procedure it serves and its mounts. */
export function observeRequests(
  deps: Pick<ServerDeps, "config" | "logger" | "metrics" | "counters">,
  procedureRoutes: ReadonlyMap<string, string>,
  mounts: RouteResolverOptions = {},
) {
  return createRequestObserver({
    logger: deps.logger,
    routeOf: createRouteResolver(procedureRoutes, mounts),
    metrics: deps.config.metricsEnabled ? deps.metrics : undefined,
    counters: deps.counters,
  });
}
