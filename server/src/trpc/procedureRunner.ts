/**
 * Runs a built tRPC procedure's middleware chain the way `@trpc/server` 11 does
 * (`callRecursive` in its `initTRPC` module), with plain object literals. tRPC's published
 * build copies each level's call options, and each context change, through a Babel helper
 * (`_objectSpread2`: `ownKeys`, then `defineProperty` per key); a profile of `POST /jobs/email`
 * under load found about 70 µs per request in it, the largest single item on the REST path
 * (BENCHMARKS.md, profile findings). The semantics are tRPC's, step for step: each middleware
 * gets the call's options plus `meta`, `input` and `next`; `next({ ctx })` merges into a copy
 * of the context, `next({ input })` and `next({ getRawInput })` replace theirs; whatever a
 * middleware throws becomes `{ ok: false, error: getTRPCErrorFromUnknown(cause) }`; the
 * procedure throws the final error or returns the final data. `test/e2e/trpcConformance.test.ts`
 * and `server/test/trpc/procedureRunner.test.ts` hold it to tRPC's own answers.
 *
 * A procedure this does not recognise (no middleware list, or an `experimental_caller`
 * override) is left to tRPC: `runnerFor` returns undefined and the caller calls tRPC's own
 * procedure function.
 */
import { getTRPCErrorFromUnknown, TRPCError } from "@trpc/server";

/** The options tRPC passes a procedure and, extended, each middleware. */
export interface ProcedureCallOptions {
  ctx: unknown;
  getRawInput: () => Promise<unknown>;
  path: string;
  type: "query" | "mutation" | "subscription";
  signal: AbortSignal | undefined;
  batchIndex: number;
  input?: unknown;
}

/** What `next` accepts (tRPC's `next(opts?)`). */
interface NextOptions {
  ctx?: object;
  input?: unknown;
  getRawInput?: () => Promise<unknown>;
}

/** A middleware's result, as tRPC's chain passes it back up. */
type MiddlewareResult = { ok: true; data: unknown } | { ok: false; error: TRPCError };

type Middleware = (options: ProcedureCallOptions & { meta: unknown; next: (next?: NextOptions) => Promise<MiddlewareResult> }) => Promise<MiddlewareResult>;

/** The parts of a built procedure's `_def` the runner reads. */
interface ProcedureDef {
  middlewares?: unknown;
  meta?: unknown;
  caller?: unknown;
  experimental_caller?: unknown;
}

/** tRPC's marker on every middleware result (its `middlewareMarker`). */
const MIDDLEWARE_MARKER = "middlewareMarker";

/**
 * A function that runs the procedure of `def` as tRPC would, or undefined when the procedure is
 * not one this runner knows how to run (then call tRPC's procedure itself).
 */
export function runnerFor(def: ProcedureDef): ((options: ProcedureCallOptions) => Promise<unknown>) | undefined {
  const { middlewares, meta } = def;
  if (def.caller || def.experimental_caller || !Array.isArray(middlewares) || middlewares.length === 0) return undefined;
  const chain = middlewares as Middleware[];

  // The options objects are written out field by field rather than spread: they always hold
  // exactly the fields below (procedureTable.ts builds the first), and a literal of one shape
  // is cheaper than a spread. The `next` closures come from `nextAfter`, unnamed, so a
  // keep-names transform (tsx) adds no per-call `defineProperty` to them.
  const callAt = async (index: number, options: ProcedureCallOptions): Promise<MiddlewareResult> => {
    try {
      return await chain[index]!({
        ctx: options.ctx,
        getRawInput: options.getRawInput,
        path: options.path,
        type: options.type,
        signal: options.signal,
        batchIndex: options.batchIndex,
        meta,
        input: options.input,
        next: nextAfter(index, options),
      });
    } catch (cause) {
      return { ok: false, error: getTRPCErrorFromUnknown(cause), marker: MIDDLEWARE_MARKER } as MiddlewareResult;
    }
  };
  function nextAfter(index: number, options: ProcedureCallOptions) {
    return (nextOptions?: NextOptions) =>
      callAt(index + 1, {
        ctx: nextOptions?.ctx ? { ...(options.ctx as object), ...nextOptions.ctx } : options.ctx,
        getRawInput: nextOptions?.getRawInput ?? options.getRawInput,
        path: options.path,
        type: options.type,
        signal: options.signal,
        batchIndex: options.batchIndex,
        input: nextOptions && "input" in nextOptions ? nextOptions.input : options.input,
      });
  }

  return async (options) => {
    const result = await callAt(0, options);
    if (!result) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "No result from middlewares - did you forget to `return next()`?" });
    if (!result.ok) throw result.error;
    return result.data;
  };
}
