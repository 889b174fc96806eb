/**
 * The public types of the SDK: the client's options and its methods, whose outputs are inferred
 * from the server's router (and so from the shared zod schemas) at build time, and whose inputs
 * are the router's narrowed to what the server enforces (inputs.ts).
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@taskgate/server";
import type {
  BlockedQueryInput,
  DeadJobInput,
  DeadJobsListInput,
  DeadJobsRetryAllInput,
  EmailJobInput,
  JobStatusInput,
  ScheduleEmailJobInput,
} from "./inputs.js";
import type { RetryOptions } from "./retry.js";

export type { AppRouter };

/**
 * Every procedure's input as the router's zod schemas infer it, by path:
 * `RouterInputs["jobs"]["email"]["create"]`. Looser than what the methods accept (see inputs.ts).
 */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output, by path (dates as `Date`): `RouterOutputs["jobs"]["status"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

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
}

/** Per-call options of every method. */
export interface CallOptions {
  /** Cancels the call: an HTTP request in flight, or the wait before a retry. It then throws `TaskgateError` with code `ABORTED`. */
  signal?: AbortSignal | undefined;
}

/** Per-call options of job creation. */
export interface CreateOptions extends CallOptions {
  /**
   * `Idempotency-Key` of the job (1–255 printable ASCII characters). Default: a fresh UUID per
   * call. Every retry of one call reuses it, so a call never makes two jobs; pass your own to be
   * safe across calls too (e.g. an order id).
   */
  idempotencyKey?: string | undefined;
}

/** A method: input optional when the procedure's input may be omitted. */
type Method<TInput, TOutput, TOptions = CallOptions> = undefined extends TInput
  ? (input?: TInput, options?: TOptions) => Promise<TOutput>
  : (input: TInput, options?: TOptions) => Promise<TOutput>;

/** A method of a procedure without input. */
type NoInputMethod<TOutput> = (options?: CallOptions) => Promise<TOutput>;

type In = RouterInputs;
type Out = RouterOutputs;

/**
 * The client: one async method per tRPC procedure, at the same path. Each throws
 * `TaskgateError` on failure, after the retries the client's policy allows.
 */
export interface TaskgateClient {
  health: {
    /** `GET /health`: whether the API can serve (Redis up, not draining). */
    get: NoInputMethod<Out["health"]["get"]>;
  };
  jobs: {
    email: {
      /** `POST /jobs/email`: enqueue an email. Always idempotent (see `CreateOptions.idempotencyKey`). */
      create: Method<EmailJobInput, Out["jobs"]["email"]["create"], CreateOptions>;
      /** `POST /jobs/email/schedule`: enqueue an email for later (`sendAt` or `delayMs`). Always idempotent. */
      schedule: Method<ScheduleEmailJobInput, Out["jobs"]["email"]["schedule"], CreateOptions>;
    };
    /** `GET /jobs/status/:queue/:jobId`: a job's state, attempts and timestamps. */
    status: Method<JobStatusInput, Out["jobs"]["status"]>;
  };
  deadJobs: {
    /** `GET /dead-jobs/email` (admin): dead jobs, newest first, paged with `cursor`. */
    list: Method<DeadJobsListInput, Out["deadJobs"]["list"]>;
    /** `GET /dead-jobs/email/:jobId` (admin): one dead job with its stack traces. */
    get: Method<DeadJobInput, Out["deadJobs"]["get"]>;
    /** `POST /dead-jobs/email/:jobId/retry` (admin): re-queue one dead job with fresh attempts. */
    retry: Method<DeadJobInput, Out["deadJobs"]["retry"]>;
    /** `POST /dead-jobs/email/retry` (admin): re-queue all dead jobs, or only `jobIds`. */
    retryAll: Method<DeadJobsRetryAllInput, Out["deadJobs"]["retryAll"]>;
    /** `DELETE /dead-jobs/email/:jobId` (admin): remove a dead job for good. */
    delete: Method<DeadJobInput, Out["deadJobs"]["delete"]>;
  };
  monitoring: {
    /** `GET /monitoring/rate-limits/blocked` (admin): blocked requests, newest first, filterable. */
    blocked: Method<BlockedQueryInput, Out["monitoring"]["blocked"]>;
    /** `GET /monitoring/queues` (admin): counts by state and outcomes per minute, per queue. */
    queues: NoInputMethod<Out["monitoring"]["queues"]>;
    /** `GET /metrics/requests` (admin): request counters in time buckets. */
    requestMetrics: Method<In["monitoring"]["requestMetrics"], Out["monitoring"]["requestMetrics"]>;
    /** `GET /metrics/blocked` (admin): blocked-request counters in time buckets. */
    blockedMetrics: Method<In["monitoring"]["blockedMetrics"], Out["monitoring"]["blockedMetrics"]>;
  };
}
