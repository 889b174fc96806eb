/**
 * The REST aliases, read from the router: every procedure whose meta declares `rest` is one
 * alias. Nothing else lists them, so the mount, the OpenAPI document and the route names of
 * rate-limit rules and idempotency records cannot drift from the procedures.
 */
import type { AnyRouter } from "@trpc/server";
import { routeName, routeOfProcedure, type ProcedureMeta, type RestRoute } from "../trpc/meta.js";

/** One REST alias: a procedure and the route its meta declares. */
export interface RestAlias {
  /** The procedure's path in the router, e.g. `jobs.email.create`. */
  procedure: string;
  type: "query" | "mutation" | "subscription";
  route: RestRoute;
  meta: ProcedureMeta;
  /** The procedure's input validators (the first is its zod schema; none without input). */
  inputs: readonly unknown[];
}

interface ProcedureDef {
  type: RestAlias["type"];
  meta?: ProcedureMeta | undefined;
  inputs: unknown[];
}

/** Every procedure of the router with its definition, in declaration order. */
export function proceduresOf(router: AnyRouter): Array<{ path: string; def: ProcedureDef }> {
  const procedures = router._def.procedures as Record<string, { _def: ProcedureDef }>;
  return Object.entries(procedures).map(([path, procedure]) => ({ path, def: procedure._def }));
}

/** The router's REST aliases, in declaration order. */
export function restAliasesOf(router: AnyRouter): RestAlias[] {
  return proceduresOf(router).flatMap(({ path, def }) =>
    def.meta?.rest ? [{ procedure: path, type: def.type, route: def.meta.rest, meta: def.meta, inputs: def.inputs }] : [],
  );
}

/** The route every procedure counts as (its alias's `METHOD /path`, else `TRPC <path>`), by procedure path. */
export function procedureRoutes(router: AnyRouter): ReadonlyMap<string, string> {
  return new Map(proceduresOf(router).map(({ path, def }) => [path, routeOfProcedure(def.meta, path)]));
}

export { routeName };
