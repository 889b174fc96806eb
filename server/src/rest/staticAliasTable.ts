/**
 * A direct route table for the REST aliases whose paths have no `:params` (`POST /jobs/email`,
 * `GET /health`, …), consulted once near the top of the middleware stack. Without it every
 * such request walks each layer mounted before the aliases (`/health/live`, `/metrics`, three
 * `/trpc` layers, the OpenAPI and dashboard mounts), each a path match: a profile of
 * `POST /jobs/email` under load put Express's router walk at about 40 µs of a 700 µs request
 * (BENCHMARKS.md, profile findings).
 *
 * A hit runs the alias's own Express route (`route.dispatch`, what the router itself calls for
 * a matched route layer), so the route's handlers, `req.route` (the observer's route name) and
 * errors passed to `next` behave as when the walk reaches it. The lookup matches as Express's
 * default routing does (case-insensitive, one optional trailing slash), and anything it does not
 * recognise (a path with characters outside printable ASCII, `HEAD`, an unknown path) falls through to the
 * walk, which answers as before. No layer mounted before the aliases serves an alias's path;
 * `addStaticAlias` refuses one that would (`ReservedPaths`), so a hit can never take a request
 * from a layer that would have answered it.
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";

/** The part of Express's `Route` (router 2) the table calls: the matched route's dispatch. */
export interface DispatchableRoute {
  path: string;
  dispatch(req: Request, res: Response, done: NextFunction): void;
}

/** The table, its middleware and how the aliases' mounting fills it. */
export interface StaticAliasTable {
  /** Middleware: runs the alias route for `METHOD path`, or calls `next()` when none. */
  dispatch: RequestHandler;
  /** Adds an alias's route under its method; paths with `:params` are left to the walk (returns false). */
  addStaticAlias(method: string, route: DispatchableRoute): boolean;
}

/** Any character outside printable ASCII (0x20-0x7E); such paths are left to the walk. */
const NOT_PRINTABLE_ASCII = /[^ -~]/;

/** What the layers between the table's middleware and the aliases serve. */
export interface ReservedPaths {
  /** Paths of routes (`app.get(path)`): an alias on the same path throws at start-up. */
  routes: readonly string[];
  /** Paths of mounts (`app.use(path)`), which serve everything under them: an alias at or under one throws. */
  mounts: readonly string[];
}

/** An empty table, to be placed ahead of the layers `reserved` names. */
export function createStaticAliasTable(reserved: ReservedPaths): StaticAliasTable {
  const routes = new Map<string, DispatchableRoute>();
  const keyOf = (method: string, path: string): string => {
    const lowered = path.toLowerCase();
    return `${method} ${lowered.length > 1 && lowered.endsWith("/") ? lowered.slice(0, -1) : lowered}`;
  };
  return {
    dispatch(req, res, next) {
      const path = req.path;
      const route = NOT_PRINTABLE_ASCII.test(path) ? undefined : routes.get(keyOf(req.method, path));
      if (route === undefined) return next();
      route.dispatch(req, res, next);
    },
    addStaticAlias(method, route) {
      if (route.path.includes(":")) return false;
      const key = keyOf(method.toUpperCase(), route.path);
      const path = key.slice(key.indexOf(" ") + 1);
      const taken =
        reserved.routes.find((other) => path === keyOf("", other).slice(1)) ??
        reserved.mounts.find((mount) => path === keyOf("", mount).slice(1) || path.startsWith(`${keyOf("", mount).slice(1)}/`));
      if (taken !== undefined) throw new Error(`REST alias ${method} ${route.path} is served by ${taken}, mounted before the aliases`);
      routes.set(key, route);
      return true;
    },
  };
}
