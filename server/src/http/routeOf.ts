/**
 * The route a request counts under: the Express route template (`GET /jobs/status/:queue/:jobId`),
 * a tRPC call's REST alias (`POST /jobs/email`) or `TRPC <procedure>` — never the raw URL, so
 * the number of distinct routes stays bounded whatever clients send.
 */
import type { Request } from "express";

/** A path no route matched (404s). */
export const UNMATCHED_ROUTE = "(unmatched)";
/** A tRPC batch of several procedures. */
export const TRPC_BATCH_ROUTE = "TRPC (batch)";
/** A tRPC path that names no procedure. */
export const TRPC_UNKNOWN_ROUTE = "TRPC (unknown)";

/** Options of `createRouteResolver`. */
export interface RouteResolverOptions {
  /** Where tRPC is mounted; default `/trpc`. */
  trpcPath?: string | undefined;
  /** Paths of static file mounts (the dashboard's `/admin`): every file under one counts as `<METHOD> <path>`; default none. */
  staticMounts?: readonly string[] | undefined;
}

/** Resolves routes against the route of each tRPC procedure (by its path, `procedureRoutes` in rest/routes.ts) and the mounts. */
export function createRouteResolver(procedureRoutes: ReadonlyMap<string, string>, options: RouteResolverOptions = {}) {
  const trpcPrefix = `${options.trpcPath ?? "/trpc"}/`;
  const staticMounts = options.staticMounts ?? [];
  return (req: Request): string => {
    const template = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof template === "string") return `${req.method} ${template}`;
    const url = req.originalUrl;
    // Every file of the dashboard counts as one route, `<METHOD> /admin`.
    const mount = staticMounts.find((path) => url === path || url.startsWith(`${path}/`) || url.startsWith(`${path}?`));
    if (mount !== undefined) return `${req.method} ${mount}`;
    if (!url.startsWith(trpcPrefix)) return UNMATCHED_ROUTE;
    const end = url.indexOf("?");
    let names: string[];
    try {
      names = decodeURIComponent(url.slice(trpcPrefix.length, end === -1 ? undefined : end)).split(",");
    } catch {
      return TRPC_UNKNOWN_ROUTE;
    }
    if (names.length > 1) return TRPC_BATCH_ROUTE;
    const name = names[0] ?? "";
    return procedureRoutes.get(name) ?? TRPC_UNKNOWN_ROUTE;
  };
}
