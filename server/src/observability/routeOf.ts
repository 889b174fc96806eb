/**
 * The route a request counts under: the Express route template (`GET /jobs/status/:queue/:jobId`),
 * a tRPC call's REST alias (`POST /jobs/email`) or `TRPC <procedure>` — never the raw URL, so
 * the number of distinct routes stays bounded whatever clients send.
 */
import type { Request } from "express";
import { DASHBOARD_PATH } from "../dashboard/mountDashboard.js";
import { routeOfProcedure } from "../rest/aliases.js";

/** A path no route matched (404s). */
export const UNMATCHED_ROUTE = "(unmatched)";
/** A tRPC batch of several procedures. */
export const TRPC_BATCH_ROUTE = "TRPC (batch)";
/** A tRPC path that names no procedure. */
export const TRPC_UNKNOWN_ROUTE = "TRPC (unknown)";

/** Resolves routes against the known tRPC procedures (`appRouter._def.procedures`) and the mount path. */
export function createRouteResolver(procedures: ReadonlySet<string>, trpcPath = "/trpc") {
  const trpcPrefix = `${trpcPath}/`;
  return (req: Request): string => {
    const template = (req.route as { path?: unknown } | undefined)?.path;
    if (typeof template === "string") return `${req.method} ${template}`;
    const url = req.originalUrl;
    // Every file of the dashboard counts as one route, `<METHOD> /admin`.
    if (url === DASHBOARD_PATH || url.startsWith(`${DASHBOARD_PATH}/`) || url.startsWith(`${DASHBOARD_PATH}?`)) return `${req.method} ${DASHBOARD_PATH}`;
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
    return procedures.has(name) ? routeOfProcedure(name) : TRPC_UNKNOWN_ROUTE;
  };
}
