/**
 * The REST alias table: each documented `METHOD /path` is one row naming the tRPC procedure
 * it calls (through `createCallerFactory`), so REST and tRPC cannot drift apart. The same
 * `METHOD /path` string is the route name rate-limit rules and idempotency records use.
 */

/** Where an alias's input comes from. */
export type InputSource = "body" | "query" | "none";

/** One REST alias. */
export interface RestAlias {
  method: "GET" | "POST" | "DELETE";
  /** Express path with `:params`. */
  path: string;
  /** Dotted tRPC procedure path. */
  procedure: string;
  /** Where the input is read from; path params are always merged in. */
  input: InputSource;
  /** Fixed members merged into the input (e.g. `queue: "email"` for `/dead-jobs/email`). */
  fixedInput?: Record<string, string>;
  /** Success status; default 200. A function picks it from the output (health's 503). */
  status?: number | ((output: unknown) => number);
  /** When true, the output's `statusUrl` becomes the `Location` header. */
  location?: boolean;
}

export const REST_ALIASES: readonly RestAlias[] = [
  {
    method: "GET",
    path: "/health",
    procedure: "health.get",
    input: "none",
    status: (output) => ((output as { status?: string }).status === "ok" ? 200 : 503),
  },
  { method: "POST", path: "/jobs/email", procedure: "jobs.email.create", input: "body", status: 202, location: true },
  { method: "POST", path: "/jobs/email/schedule", procedure: "jobs.email.schedule", input: "body", status: 202, location: true },
  { method: "GET", path: "/jobs/status/:queue/:jobId", procedure: "jobs.status", input: "none" },
  // Dead jobs (admin). `/dead-jobs/email/retry` (retry all) and `/:jobId/retry` differ in depth, so order does not matter.
  { method: "GET", path: "/dead-jobs/email", procedure: "deadJobs.list", input: "query", fixedInput: { queue: "email" } },
  { method: "POST", path: "/dead-jobs/email/retry", procedure: "deadJobs.retryAll", input: "body", fixedInput: { queue: "email" }, status: 202 },
  { method: "GET", path: "/dead-jobs/email/:jobId", procedure: "deadJobs.get", input: "none", fixedInput: { queue: "email" } },
  { method: "POST", path: "/dead-jobs/email/:jobId/retry", procedure: "deadJobs.retry", input: "none", fixedInput: { queue: "email" }, status: 202, location: true },
  { method: "DELETE", path: "/dead-jobs/email/:jobId", procedure: "deadJobs.delete", input: "none", fixedInput: { queue: "email" }, status: 204 },
  // Monitoring (admin). Times in query strings are ISO 8601 or epoch ms.
  { method: "GET", path: "/monitoring/rate-limits/blocked", procedure: "monitoring.blocked", input: "query" },
  { method: "GET", path: "/monitoring/queues", procedure: "monitoring.queues", input: "none" },
  { method: "GET", path: "/metrics/requests", procedure: "monitoring.requestMetrics", input: "query" },
  { method: "GET", path: "/metrics/blocked", procedure: "monitoring.blockedMetrics", input: "query" },
];

/** The route name of an alias, as rules and records use it: `POST /jobs/email`. */
export function routeName(alias: Pick<RestAlias, "method" | "path">): string {
  return `${alias.method} ${alias.path}`;
}

const ROUTE_BY_PROCEDURE = new Map(REST_ALIASES.map((alias) => [alias.procedure, routeName(alias)]));

/** The route a tRPC procedure counts as (its REST alias), or the procedure path if it has none. */
export function routeOfProcedure(procedurePath: string): string {
  return ROUTE_BY_PROCEDURE.get(procedurePath) ?? `TRPC ${procedurePath}`;
}
