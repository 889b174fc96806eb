/**
 * What a procedure declares about itself beside its resolver (tRPC `meta`): who may call it,
 * its REST alias and its documentation. The REST mount, the OpenAPI document, the route names of
 * rate-limit rules and idempotency records, and the client SDK's generated table all read it
 * from the router, so a procedure is declared once (docs/ARCHITECTURE.md, "Adding a procedure").
 */

import type { ErrorCode, FieldIssue } from "@taskgate/shared";

/** Who may call a procedure. */
export type Access = "public" | "user" | "admin";

/** Where a REST alias's input comes from; path params are always merged in. */
export type InputSource = "body" | "query" | "none";

/** The REST alias of a procedure. */
export interface RestRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Express path with `:params`, e.g. `/jobs/status/:queue/:jobId`. */
  path: string;
  /** Where the input is read from. Default `none` (path params only). */
  input?: InputSource;
  /** Fixed members merged into the input (e.g. `queue: "email"` for `/dead-jobs/email`). None by default. */
  fixedInput?: Record<string, string>;
  /** Success status. Default 200. A function picks it from the output and the input (health's 503, a dry run's 200). */
  status?: number | ((output: unknown, input: unknown) => number);
  /** When true, the output's `statusUrl` becomes the `Location` header. Default false. */
  location?: boolean;
}

/** A JSON Schema fragment, as plain data. */
export type JsonSchemaFragment = Record<string, unknown>;

/** What the OpenAPI document says about a procedure that its validator cannot tell. */
export interface ProcedureDoc {
  summary: string;
  description?: string;
  /** Groups operations on the docs page: `health`, `jobs`, `dead jobs` or `monitoring`. */
  tag: string;
  /** Component name of the request body schema (body inputs only). */
  bodyName?: string;
  /**
   * JSON Schema keywords added to the generated body schema for rules the zod schema enforces in
   * a refinement, which `z.toJSONSchema` cannot see (e.g. `allOf: [{ anyOf: [{ required: … }] }]`).
   * None by default.
   */
  bodyRules?: JsonSchemaFragment;
  /**
   * The success body: its component name and the zod schema it is generated from. None for 204.
   * Typed `unknown` so that the router's type, which carries this meta type into the client
   * SDK's bundled declarations, does not pull zod's types in; openapi/document.ts checks it.
   */
  output?: { name: string; schema: unknown };
  /** Statuses other than the alias's own that also carry the success body, with what they mean (health's 503). */
  alsoStatuses?: Record<number, string>;
  /** Error codes it can answer beyond those its access, input and path imply (e.g. `VERSION_CONFLICT`). None by default. */
  errors?: ErrorCode[];
}

/** Per-procedure metadata (shallow-merged by tRPC across `.meta()` calls). */
export interface ProcedureMeta {
  /** Default `user`: an API key is required unless in open mode. */
  access?: Access;
  /** Set by the `idempotentMutation` builder: the Idempotency-Key applies. Default false. */
  idempotent?: boolean;
  /** The REST alias; none by default (tRPC only). */
  rest?: RestRoute;
  /** Docs for the OpenAPI document; a procedure with a REST alias should have them (a test checks). */
  doc?: ProcedureDoc;
  /**
   * Checks of the validated input that hold only at the time of the call (a `sendAt` in the
   * future), run for a call that is not an idempotent replay, before the rate limit: issues are
   * a 400 VALIDATION_FAILED, as the schema's. A replay of an earlier call gets its stored answer
   * even when they would fail now. Default: none.
   */
  checkFresh?: (input: unknown) => FieldIssue[];
}

/** The route name of a REST alias, as rules and records use it: `POST /jobs/email`. */
export function routeName(route: Pick<RestRoute, "method" | "path">): string {
  return `${route.method} ${route.path}`;
}

/** The route a procedure counts as: its REST alias, or `TRPC <path>` when it has none. */
export function routeOfProcedure(meta: ProcedureMeta | undefined, procedurePath: string): string {
  return meta?.rest ? routeName(meta.rest) : `TRPC ${procedurePath}`;
}
