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
 * `addAlias` refuses one that would (`ReservedPaths`), so a hit can never take a request
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
  /**
   * Adds an alias's route, in mount order. A path with `:params` (or any other path-to-regexp
   * syntax), a second alias on the same method and path, and a path an earlier alias with
   * params would serve are left to the walk (false): it answers them as Express does.
   */
  addAlias(method: string, route: DispatchableRoute): boolean;
  /**
   * First handler of every alias route: skips the route (`next("route")`) when the table has
   * already run it for this request and a handler passed the request on (`next()`), which
   * Express answers by trying the routes after it, not the same one again.
   */
  skipIfServed: RequestHandler;
}

/** Any character outside printable ASCII (0x20-0x7E); such paths are left to the walk. */
const NOT_PRINTABLE_ASCII = /[^ -~]/;
/** path-to-regexp 8 syntax: a path holding any of these is not matched literally. */
const PATTERN_SYNTAX = /[:*{}()?+!\\]/;
/** The route the table ran for a request, set when it passed the request on. */
const SERVED = Symbol("staticAliasServed");

/** What the layers between the table's middleware and the aliases serve. */
export interface ReservedPaths {
  /** Paths of routes (`app.get(path)`): an alias on the same path throws at start-up. */
  routes: readonly string[];
  /** Paths of mounts (`app.use(path)`), which serve everything under them: an alias at or under one throws. */
  mounts: readonly string[];
}

/** Lowercase, one trailing slash dropped: how Express's default routing compares a literal path. */
function normalPath(path: string): string {
  const lowered = path.toLowerCase();
  return lowered.length > 1 && lowered.endsWith("/") ? lowered.slice(0, -1) : lowered;
}

/** A matcher of an alias path with `:params` (one segment each, case-insensitive, one optional trailing slash). */
export function paramPathMatcher(path: string): RegExp {
  const pattern = path.split("/").map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/");
  return new RegExp(`^${pattern}/?$`, "i");
}

/** An empty table, to be placed ahead of the layers `reserved` names. */
export function createStaticAliasTable(reserved: ReservedPaths): StaticAliasTable {
  const routes = new Map<string, DispatchableRoute>();
  /** The aliases with params mounted so far, by method: an earlier one may serve a later literal path. */
  const withParams: Array<{ method: string; matches: RegExp }> = [];
  return {
    dispatch(req, res, next) {
      const path = req.path;
      const route = NOT_PRINTABLE_ASCII.test(path) ? undefined : routes.get(`${req.method} ${normalPath(path)}`);
      if (route === undefined) return next();
      route.dispatch(req, res, (error?: unknown) => {
        // Passed on without an error: the walk goes on, and skipIfServed keeps it from running
        // this route twice. An error (or "router") goes on as from the route itself.
        if (error === undefined || error === null) (req as unknown as Record<symbol, unknown>)[SERVED] = route;
        next(error);
      });
    },
    addAlias(method, route) {
      const upper = method.toUpperCase();
      if (PATTERN_SYNTAX.test(route.path)) {
        withParams.push({ method: upper, matches: paramPathMatcher(route.path) });
        return false;
      }
      const path = normalPath(route.path);
      const taken =
        reserved.routes.find((other) => path === normalPath(other)) ??
        reserved.mounts.find((mount) => path === normalPath(mount) || path.startsWith(`${normalPath(mount)}/`));
      if (taken !== undefined) throw new Error(`REST alias ${method} ${route.path} is served by ${taken}, mounted before the aliases`);
      const key = `${upper} ${path}`;
      if (routes.has(key) || withParams.some((earlier) => earlier.method === upper && earlier.matches.test(route.path))) return false;
      routes.set(key, route);
      return true;
    },
    skipIfServed(req, _res, next) {
      next((req as unknown as Record<symbol, unknown>)[SERVED] === req.route ? "route" : undefined);
    },
  };
}
