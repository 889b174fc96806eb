/**
 * `createClient()`: the typed Taskgate client. Its methods are not written by hand: one per row
 * of the generated procedure table (procedures.generated.ts, from the server's router), each one
 * tRPC call over `httpLink` (one HTTP request per attempt, superjson so dates arrive as `Date`),
 * or with `batch` over `httpBatchLink` for calls without a key, wrapped in the retry policy; idempotent procedures get an Idempotency-Key per call.
 */
import { createTRPCUntypedClient, httpBatchLink, httpLink, splitLink, type TRPCLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "@taskgate/server";
import { NonJsonResponseError, TaskgateError, toTaskgateError, withCall } from "./errors.js";
import type { CallOptions, CreateOptions } from "./methods.js";
import { PROCEDURES, type TaskgateClient } from "./procedures.generated.js";
import { retryDelay, retryPolicy, sleep, type RetryKind } from "./retry.js";
import type { ClientOptions } from "./types.js";

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
  assertClientOptions(options);
  const policy = retryPolicy(options.retry);
  const trpc = createTRPCUntypedClient<AppRouter>({ links: [transportLink(options)] });

  async function run<T>(path: string, kind: RetryKind, send: Send<T>, callOptions: CallOptions | undefined, idempotencyKey?: string): Promise<T> {
    const signal = anySignal(options.signal, callOptions?.signal);
    const context = idempotencyKey === undefined ? {} : { idempotencyKey };
    for (let attempt = 1; ; attempt++) {
      let error: TaskgateError;
      try {
        if (signal?.aborted) throw signal.reason;
        const result = await send({ signal, context });
        // A batched call answers with its batch, even when its own signal fired meanwhile.
        if (signal?.aborted) throw signal.reason;
        return result;
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

  /** One method: idempotent procedures carry one Idempotency-Key per call, reused by every retry of it. */
  function method(path: string, info: ProcedureInfo): AnyMethod {
    const kind: RetryKind = info.type === "query" || info.idempotent ? "idempotent" : "unsafe";
    const send = (input: unknown): Send<unknown> =>
      info.type === "query" ? (request) => trpc.query(path, input, request) : (request) => trpc.mutation(path, input, request);
    const call = (input: unknown, callOptions: CreateOptions | undefined) => {
      const given = callOptions?.idempotencyKey;
      // Refused before anything is sent: a key the server would refuse, or fetch could not send.
      if (info.idempotent && given !== undefined && !VALID_IDEMPOTENCY_KEY.test(given)) {
        return Promise.reject(new TaskgateError({ code: "VALIDATION_FAILED", message: "idempotencyKey must be 1-255 printable ASCII characters; nothing was sent.", attempts: 0 }));
      }
      return run(path, kind, send(input), callOptions, info.idempotent ? (given ?? newIdempotencyKey()) : undefined);
    };
    return info.input ? (input, callOptions) => call(input, callOptions as CreateOptions | undefined) : (callOptions) => call(undefined, callOptions as CallOptions | undefined);
  }

  const client: Record<string, unknown> = {};
  for (const [path, info] of Object.entries(PROCEDURES)) placeAt(client, path, method(path, info));
  return client as unknown as TaskgateClient;
}

/** Largest batch `batch: true` sends: the server's TRPC_MAX_BATCH default. */
const DEFAULT_BATCH_ITEMS = 10;

/**
 * Longest URL a batched GET may have, in characters: a batch whose inputs would make it longer
 * is split. Half the server's 16 KiB for all of a request's headers, which the request line
 * shares with the others.
 */
const MAX_BATCH_URL_LENGTH = 8_000;

/** What the server takes as an Idempotency-Key (API.md §5): 1–255 printable ASCII characters. */
const VALID_IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** A control character, which a header value must not hold (a CR or LF would end the header). */
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * Refuses, at once and without echoing a secret, options that could only fail on every call:
 * a `baseUrl` that is not an http(s) URL or carries credentials, an API key or header that
 * fetch cannot send. Without this each call would fail as if the network had, and retry.
 */
function assertClientOptions(options: ClientOptions): void {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new TypeError("baseUrl must be an absolute http(s) URL, e.g. http://127.0.0.1:3000");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`baseUrl must be an http(s) URL, not ${url.protocol}`);
  if (url.username !== "" || url.password !== "") throw new TypeError("baseUrl must not carry a user name or password; give the API key as apiKey");
  if (options.apiKey !== undefined && (options.apiKey === "" || CONTROL_CHARACTER.test(options.apiKey))) throw new TypeError("apiKey must be a non-empty string without control characters or line breaks");
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (CONTROL_CHARACTER.test(value)) throw new TypeError(`header ${JSON.stringify(name)} has a value fetch cannot send (control characters or a line break)`);
  }
}

/** How calls reach the server: one request each, or batched where a call carries no Idempotency-Key. */
function transportLink(options: ClientOptions): TRPCLink<AppRouter> {
  const common = { url: `${options.baseUrl.replace(/\/+$/, "")}/trpc`, transformer: superjson, fetch: jsonOnly(options.fetch ?? globalThis.fetch) };
  const shared = (): Record<string, string> => ({ ...options.headers, ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }) });
  const single = httpLink({
    ...common,
    headers: ({ op }) => {
      const key = op.context.idempotencyKey;
      return typeof key === "string" ? { ...shared(), "idempotency-key": key } : shared();
    },
  });
  if (!options.batch) return single;
  const maxItems = options.batch === true ? DEFAULT_BATCH_ITEMS : options.batch.maxItems;
  if (!Number.isInteger(maxItems) || maxItems < 1) throw new RangeError(`batch.maxItems must be a positive integer: ${maxItems}`);
  return splitLink({
    condition: (op) => typeof op.context.idempotencyKey === "string",
    true: single,
    false: httpBatchLink({ ...common, maxItems, maxURLLength: MAX_BATCH_URL_LENGTH, headers: shared }),
  });
}

interface ProcedureInfo {
  type: "query" | "mutation";
  input: boolean;
  idempotent: boolean;
}

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/** Puts `value` at a dotted path of nested objects: `jobs.email.create`. */
function placeAt(root: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let node = root;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}
