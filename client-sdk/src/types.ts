/**
 * The public types of the SDK: the client's options, and names for the outputs users handle
 * most, inferred from the server's router (and so from the shared zod schemas) at build time.
 * The client's methods are the generated `TaskgateClient` (procedures.generated.ts).
 */
import type { RetryOptions } from "./retry.js";
import type { RouterOutputs } from "./routerTypes.js";

export type { AppRouter, RouterInputs, RouterOutputs } from "./routerTypes.js";
export type { CallOptions, CreateOptions } from "./methods.js";
export type { TaskgateClient } from "./procedures.generated.js";

/** The answer to creating or scheduling a job. */
export type EnqueueResult = RouterOutputs["jobs"]["email"]["create"];
/** A job's status. */
export type JobStatus = RouterOutputs["jobs"]["status"];
/** One page of dead jobs. */
export type DeadJobsPage = RouterOutputs["deadJobs"]["list"];
/** One dead job as the list shows it. */
export type DeadJobSummary = DeadJobsPage["jobs"][number];
/** One dead job with its attempts' stack traces. */
export type DeadJobDetail = RouterOutputs["deadJobs"]["get"];
/** Per-queue counts and outcomes per minute. */
export type QueuesOverview = RouterOutputs["monitoring"]["queues"];
/** The blocked-request log, newest first. */
export type BlockedLogPage = RouterOutputs["monitoring"]["blocked"];

/** Options of `createClient`. */
export interface ClientOptions {
  /** Where the API is, e.g. `http://127.0.0.1:3000`; tRPC is reached under `<baseUrl>/trpc`. */
  baseUrl: string;
  /** API key, sent as `Authorization: Bearer <key>`. Omit only for a server in open mode. */
  apiKey?: string | undefined;
  /** The `fetch` to use. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch | undefined;
  /** Retry settings (default 4 attempts, 200 ms base, 30 s longest wait). `{ attempts: 1 }` turns retries off. */
  retry?: RetryOptions | undefined;
  /** Aborts every call made through this client (each call may add its own signal too). */
  signal?: AbortSignal | undefined;
  /** Extra headers sent with every request (e.g. `User-Agent`). */
  headers?: Record<string, string> | undefined;
  /**
   * Sends the calls made in the same tick together, as one HTTP request (tRPC's
   * `httpBatchLink`): queries, and mutations that carry no Idempotency-Key. A batch costs the
   * server about half the CPU per call of single requests (BENCHMARKS.md). Calls with a key
   * (`jobs.email.create`, `jobs.email.schedule`) still go one per request, because one request
   * carries one key. `true` puts at most 10 calls in a request (the server's `TRPC_MAX_BATCH`
   * default); `{ maxItems }` matches another `TRPC_MAX_BATCH`. Each call still succeeds, fails
   * and is retried on its own. Default false: one request per call.
   */
  batch?: boolean | { maxItems: number } | undefined;
}
