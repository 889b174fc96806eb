/**
 * Calls a procedure by its dotted path: its middleware chain, input validation and resolver,
 * run by procedureRunner.ts as tRPC runs them (tRPC's own procedure function for a shape the
 * runner does not know), without a caller proxy and without the Fetch adapter. Both the REST
 * aliases and the `/trpc` fast path call procedures this way. It is what tRPC's own
 * `createCaller` and `resolveResponse` do per call (`procedure({ ctx, getRawInput, path, type,
 * signal, batchIndex })`), minus the recursive proxy `createCaller` builds for every request.
 */
import type { AnyRouter } from "@trpc/server";
import type { RequestContext } from "../requestContext.js";
import { runnerFor } from "./procedureRunner.js";

export type ProcedureType = "query" | "mutation" | "subscription";

/** One procedure of the router, ready to call. */
export interface CallableProcedure {
  path: string;
  type: ProcedureType;
  /**
   * Runs the procedure. `getRawInput` is read at most once, by the input parser, and only after
   * the middlewares before `.input()` (the rate limit) have let the call through.
   */
  call(ctx: RequestContext, getRawInput: () => Promise<unknown>, batchIndex?: number): Promise<unknown>;
}

/** What a built tRPC procedure is at run time: a function of its call options, with its kind. */
type RawProcedure = ((options: {
  ctx: unknown;
  getRawInput: () => Promise<unknown>;
  path: string;
  type: ProcedureType;
  signal: AbortSignal | undefined;
  batchIndex: number;
}) => Promise<unknown>) & { _def: { type: ProcedureType; middlewares?: unknown; meta?: unknown; caller?: unknown } };

/**
 * Every procedure of a router by path (`jobs.email.create`). Routers built with
 * `t.router({...})` list all their procedures eagerly (no lazy routers here).
 */
export function procedureTable(router: AnyRouter): ReadonlyMap<string, CallableProcedure> {
  const table = new Map<string, CallableProcedure>();
  for (const [path, value] of Object.entries(router._def.procedures as Record<string, RawProcedure>)) {
    const type = value._def.type;
    // tRPC's chain, run without its per-level helper copies (procedureRunner.ts); tRPC's own
    // procedure function where the runner does not know the procedure's shape.
    const run = runnerFor(value._def) ?? value;
    // `signal`: no procedure here watches for the client going away (a job, once accepted, is kept).
    table.set(path, { path, type, call: (ctx, getRawInput, batchIndex = 0) => run({ ctx, getRawInput, path, type, signal: undefined, batchIndex }) });
  }
  return table;
}
