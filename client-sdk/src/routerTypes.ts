/**
 * The server router's types as the SDK sees them: every procedure's input and output by path,
 * inferred at build time from the shared zod schemas (dates as `Date`, through superjson).
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@taskgate/server";

export type { AppRouter };

/**
 * Every procedure's input as the router's zod schemas infer it, by path:
 * `RouterInputs["jobs"]["email"]["create"]`. Looser than what the methods accept (see inputs.ts).
 */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output, by path (dates as `Date`): `RouterOutputs["jobs"]["status"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** The member of `T` at a dotted path: `At<RouterOutputs, "jobs.status">`. */
export type At<T, P extends string> = P extends `${infer Head}.${infer Rest}` ? (Head extends keyof T ? At<T[Head], Rest> : never) : P extends keyof T ? T[P] : never;
