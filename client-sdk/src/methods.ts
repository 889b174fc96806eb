/**
 * The shapes of the client's methods, by procedure path: what the generated `TaskgateClient`
 * (procedures.generated.ts) is written in. Inputs are the router's, narrowed where inputs.ts
 * says; outputs are the router's.
 */
import type { NarrowedInputs } from "./inputs.js";
import type { At, RouterInputs, RouterOutputs } from "./routerTypes.js";

/** Per-call options of every method. */
export interface CallOptions {
  /** Cancels the call: an HTTP request in flight, or the wait before a retry. It then throws `TaskgateError` with code `ABORTED`. */
  signal?: AbortSignal | undefined;
}

/** Per-call options of job creation (every idempotent procedure). */
export interface CreateOptions extends CallOptions {
  /**
   * `Idempotency-Key` of the job (1–255 printable ASCII characters). Default: a fresh UUID per
   * call. Every retry of one call reuses it, so a call never makes two jobs; pass your own to be
   * safe across calls too (e.g. an order id).
   */
  idempotencyKey?: string | undefined;
}

/** What the method of procedure `P` accepts. */
export type InputOf<P extends string> = P extends keyof NarrowedInputs ? NarrowedInputs[P] : At<RouterInputs, P>;
/** What the method of procedure `P` resolves to. */
export type OutputOf<P extends string> = At<RouterOutputs, P>;

/** The method of a procedure with an input; the input may be left out when the procedure's is optional. */
export type InputMethod<P extends string, TOptions = CallOptions> = undefined extends InputOf<P>
  ? (input?: InputOf<P>, options?: TOptions) => Promise<OutputOf<P>>
  : (input: InputOf<P>, options?: TOptions) => Promise<OutputOf<P>>;

/** The method of a procedure without input. */
export type NoInputMethod<P extends string> = (options?: CallOptions) => Promise<OutputOf<P>>;

/** Fails to compile should a narrowed input ever accept what its procedure's router input does not. */
type NarrowedWithin<T extends { [P in keyof NarrowedInputs]: At<RouterInputs, P> }> = T;
export type _NarrowedInputsAreRouterInputs = NarrowedWithin<NarrowedInputs>;
