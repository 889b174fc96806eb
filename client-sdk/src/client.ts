/**
 * `createClient()`: the typed Taskgate client. Each method is one tRPC call over `httpLink`
 * (one HTTP request per attempt, superjson so dates arrive as `Date`), wrapped in the retry policy.
 */
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "@taskgate/server";
import { NonJsonResponseError, TaskgateError, toTaskgateError, withCall } from "./errors.js";
import { retryDelay, retryPolicy, sleep, type RetryKind } from "./retry.js";
import type { CallOptions, ClientOptions, CreateOptions, TaskgateClient } from "./types.js";

/** What one attempt hands tRPC: the signal, and the context the `headers` callback reads. */
interface AttemptRequest {
  signal: AbortSignal | undefined;
  context: { idempotencyKey?: string };
}

type Send<T> = (request: AttemptRequest) => Promise<T>;

/** A signal that fires when any of the given ones does. */
function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

/** Passes JSON answers on to tRPC; anything else (a proxy's HTML page) becomes an error that keeps status and headers. */
function jsonOnly(fetchImpl: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (/json/i.test(response.headers.get("content-type") ?? "")) return response;
    await response.body?.cancel().catch(() => undefined);
    throw new NonJsonResponseError(response.status, response.headers);
  };
}

function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * Creates a client for the Taskgate API at `options.baseUrl`.
 *
 * ```ts
 * const taskgate = createClient({ baseUrl: "http://127.0.0.1:3000", apiKey: process.env.TASKGATE_API_KEY });
 * const { jobId } = await taskgate.jobs.email.create({ to: "a@example.com", subject: "Hi", text: "Hello" });
 * const status = await taskgate.jobs.status({ queue: "email", jobId });
 * ```
 */
export function createClient(options: ClientOptions): TaskgateClient {
  const policy = retryPolicy(options.retry);
  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${options.baseUrl.replace(/\/+$/, "")}/trpc`,
        transformer: superjson,
        fetch: jsonOnly(options.fetch ?? globalThis.fetch),
        headers: ({ op }) => {
          const headers: Record<string, string> = { ...options.headers };
          if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
          const key = op.context.idempotencyKey;
          if (typeof key === "string") headers["idempotency-key"] = key;
          return headers;
        },
      }),
    ],
  });

  async function run<T>(path: string, kind: RetryKind, send: Send<T>, callOptions: CallOptions | undefined, idempotencyKey?: string): Promise<T> {
    const signal = anySignal(options.signal, callOptions?.signal);
    const context = idempotencyKey === undefined ? {} : { idempotencyKey };
    for (let attempt = 1; ; attempt++) {
      let error: TaskgateError;
      try {
        if (signal?.aborted) throw signal.reason;
        return await send({ signal, context });
      } catch (thrown) {
        error = withCall(toTaskgateError(thrown, signal), { attempts: attempt, idempotencyKey });
      }
      const delayMs = error.code === "ABORTED" ? undefined : retryDelay(policy, kind, error, attempt);
      if (delayMs === undefined) throw error;
      policy.onRetry?.({ path, attempt, delayMs, error });
      try {
        await sleep(delayMs, signal);
      } catch {
        throw new TaskgateError({ code: "ABORTED", message: `The call was aborted while waiting to retry after: ${error.message}`, cause: error, attempts: attempt, idempotencyKey });
      }
    }
  }

  /** Job creation: one Idempotency-Key per call, reused by every retry of it. */
  const create = <T>(path: string, send: Send<T>, callOptions: CreateOptions | undefined) =>
    run(path, "idempotent", send, callOptions, callOptions?.idempotencyKey ?? newIdempotencyKey());
  const query = <T>(path: string, send: Send<T>, callOptions: CallOptions | undefined) => run(path, "idempotent", send, callOptions);
  const mutation = <T>(path: string, send: Send<T>, callOptions: CallOptions | undefined) => run(path, "unsafe", send, callOptions);

  return {
    health: {
      get: (o) => query("health.get", (r) => trpc.health.get.query(undefined, r), o),
    },
    jobs: {
      email: {
        create: (input, o) => create("jobs.email.create", (r) => trpc.jobs.email.create.mutate(input, r), o),
        schedule: (input, o) => create("jobs.email.schedule", (r) => trpc.jobs.email.schedule.mutate(input, r), o),
      },
      status: (input, o) => query("jobs.status", (r) => trpc.jobs.status.query(input, r), o),
    },
    deadJobs: {
      list: (input, o) => query("deadJobs.list", (r) => trpc.deadJobs.list.query(input, r), o),
      get: (input, o) => query("deadJobs.get", (r) => trpc.deadJobs.get.query(input, r), o),
      retry: (input, o) => mutation("deadJobs.retry", (r) => trpc.deadJobs.retry.mutate(input, r), o),
      retryAll: (input, o) => mutation("deadJobs.retryAll", (r) => trpc.deadJobs.retryAll.mutate(input, r), o),
      delete: (input, o) => mutation("deadJobs.delete", (r) => trpc.deadJobs.delete.mutate(input, r), o),
    },
    monitoring: {
      blocked: (input, o) => query("monitoring.blocked", (r) => trpc.monitoring.blocked.query(input, r), o),
      queues: (o) => query("monitoring.queues", (r) => trpc.monitoring.queues.query(undefined, r), o),
      requestMetrics: (input, o) => query("monitoring.requestMetrics", (r) => trpc.monitoring.requestMetrics.query(input, r), o),
      blockedMetrics: (input, o) => query("monitoring.blockedMetrics", (r) => trpc.monitoring.blockedMetrics.query(input, r), o),
    },
  };
}
