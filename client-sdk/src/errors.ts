/**
 * The SDK's one error class, `TaskgateError`, and the mapping from whatever a call ended with
 * (a tRPC error carrying the server's problem details, a failed fetch, an abort) to it.
 */
import { TRPCClientError } from "@trpc/client";
import type { ErrorCode, Problem } from "@taskgate/shared";

/**
 * Codes the SDK reports besides the server's stable codes (`ErrorCode`):
 * - `NETWORK_ERROR`: no HTTP response arrived (connection refused or reset, DNS failure, timeout).
 * - `ABORTED`: the caller's `AbortSignal` fired, during a request or while waiting to retry.
 * - `BAD_RESPONSE`: a response that is not Taskgate's (not JSON, or not a tRPC answer) — for
 *   example a proxy's error page, or a `baseUrl` pointing at something else.
 */
export type ClientErrorCode = "NETWORK_ERROR" | "ABORTED" | "BAD_RESPONSE";

/** Every `code` a `TaskgateError` can carry: the server's stable codes plus the client's own. */
export type TaskgateErrorCode = ErrorCode | ClientErrorCode;

/** The RFC 9457 problem details the server answered with (`code`, `status`, `detail`, `requestId`, …). */
export type TaskgateProblem = Problem;

/** What a `TaskgateError` is made of. */
export interface TaskgateErrorInit {
  code: TaskgateErrorCode;
  message: string;
  /** HTTP status; undefined when no response arrived. */
  status?: number | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
  problem?: TaskgateProblem | undefined;
  idempotencyKey?: string | undefined;
  attempts?: number | undefined;
  cause?: unknown;
}

/** The one error the SDK throws for a failed call. Switch on `code`, which is stable. */
export class TaskgateError extends Error {
  override readonly name = "TaskgateError";
  /** Stable, machine-readable code: the server's (`RATE_LIMITED`, `FORBIDDEN`, …) or the client's (`NETWORK_ERROR`, `ABORTED`, `BAD_RESPONSE`). */
  readonly code: TaskgateErrorCode;
  /** HTTP status of the response; undefined when no response arrived (`NETWORK_ERROR`, `ABORTED`). */
  readonly status: number | undefined;
  /** The server's request id (`X-Request-Id`), for support and log searches; undefined without a response. */
  readonly requestId: string | undefined;
  /** How long the server asked to wait before retrying, in ms (`Retry-After`, or the problem's `retryAfterMs`). */
  readonly retryAfterMs: number | undefined;
  /** The problem details the server sent; undefined when the error did not come from Taskgate. */
  readonly problem: TaskgateProblem | undefined;
  /** The `Idempotency-Key` a job creation used: retry later with it and no second job can be made. */
  readonly idempotencyKey: string | undefined;
  /** HTTP attempts the call made before giving up (1 = no retry). */
  readonly attempts: number;

  constructor(init: TaskgateErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.problem = init.problem;
    this.idempotencyKey = init.idempotencyKey;
    this.attempts = init.attempts ?? 1;
  }
}

/** A copy of `error` with the call's bookkeeping (attempts made, idempotency key) filled in. */
export function withCall(error: TaskgateError, call: { attempts: number; idempotencyKey: string | undefined }): TaskgateError {
  const { code, message, status, requestId, retryAfterMs, problem, cause } = error;
  return new TaskgateError({ code, message, status, requestId, retryAfterMs, problem, cause, ...call });
}

/**
 * Thrown by the SDK's fetch wrapper for a response that is not JSON (a proxy's HTML error page),
 * so the status and headers survive; tRPC would otherwise fail on parsing it and lose both.
 */
export class NonJsonResponseError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
  ) {
    super(`the server answered ${status} without a JSON body`);
    this.name = "NonJsonResponseError";
  }
}

/** Parses `Retry-After` (delta seconds or an HTTP date) to ms. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function isProblem(value: unknown): value is TaskgateProblem {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === "string" && typeof candidate.status === "number";
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Status codes of answers that are not Taskgate's own but mean the same to a caller. */
function codeOfStatus(status: number): TaskgateErrorCode {
  if (status === 429) return "RATE_LIMITED";
  if (status === 503) return "UNAVAILABLE";
  return "BAD_RESPONSE";
}

/** Problem codes whose answer's `Retry-After` header is their own wait (the server sets it for these). */
const WAITS = new Set<string>(["RATE_LIMITED", "UNAVAILABLE", "IDEMPOTENCY_KEY_IN_USE"]);

function fromResponse(status: number, headers: Headers | undefined, problem: TaskgateProblem | undefined, cause: unknown): TaskgateError {
  // A batch answers with one status and one Retry-After for all of its calls (the longest wait of
  // any), so a call's own problem says its wait, rounded up to whole seconds as the header gives
  // it (never earlier than a retry could pass; a single call's two then agree). The header speaks
  // for a call only when its problem names no wait of its own and is one that waits.
  const header = parseRetryAfter(headers?.get("retry-after"));
  const own = numberOrUndefined(problem?.retryAfterMs);
  const retryAfterMs = problem ? (own !== undefined ? Math.ceil(own / 1000) * 1000 : WAITS.has(problem.code) ? header : undefined) : header;
  const requestId = problem?.requestId ?? headers?.get("x-request-id") ?? undefined;
  if (problem) {
    return new TaskgateError({ code: problem.code, message: problem.detail, status: problem.status, requestId, retryAfterMs, problem, cause });
  }
  const code = codeOfStatus(status);
  return new TaskgateError({ code, message: `Unexpected answer from the server: HTTP ${status}.`, status, requestId, retryAfterMs, cause });
}

interface ErrorMeta {
  response?: { status: number; headers: Headers };
  responseJSON?: unknown;
}

/** Maps what a tRPC call threw to a `TaskgateError`; `signal` tells an abort from a network failure. */
export function toTaskgateError(error: unknown, signal?: AbortSignal): TaskgateError {
  if (error instanceof TaskgateError) return error;
  if (signal?.aborted) return new TaskgateError({ code: "ABORTED", message: "The call was aborted.", cause: signal.reason ?? error });
  if (!(error instanceof TRPCClientError)) {
    return new TaskgateError({ code: "NETWORK_ERROR", message: `The request failed: ${redact(String((error as Error)?.message ?? error))}`, cause: error });
  }
  const meta = error.meta as ErrorMeta | undefined;
  const data = error.data as { problem?: unknown } | null | undefined;
  if (meta?.response) {
    const problem = isProblem(data?.problem) ? data.problem : isProblem(meta.responseJSON) ? meta.responseJSON : undefined;
    return fromResponse(meta.response.status, meta.response.headers, problem, error);
  }
  if (error.cause instanceof NonJsonResponseError) return fromResponse(error.cause.status, error.cause.headers, undefined, error.cause);
  const cause = error.cause ?? error;
  if (cause instanceof SyntaxError) return new TaskgateError({ code: "BAD_RESPONSE", message: "The server's answer could not be read.", cause });
  return new TaskgateError({ code: "NETWORK_ERROR", message: `No response from the server: ${redact(describeNetworkError(cause))}`, cause });
}

/**
 * A network error's text without what it may quote of the request: fetch names an invalid header
 * value (`"Bearer <the API key>"`) or a URL's credentials in its message.
 */
function redact(message: string): string {
  return message.replace(/"[^"]*"/g, '"…"').replace(/\/\/[^/@\s]*@/g, "//…@");
}

/** Codes of failures that happen before a request is sent: nothing reached the server. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested)) for (const inner of nested) codes.push(...causeCodes(inner));
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** True for a `NETWORK_ERROR` whose request certainly never reached the server (connection refused, DNS). */
export function failedBeforeSending(error: TaskgateError): boolean {
  if (error.code !== "NETWORK_ERROR") return false;
  const codes = causeCodes(error.cause);
  return codes.length > 0 && codes.every((code) => NOT_SENT.has(code));
}

function describeNetworkError(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.message && !messages.includes(current.message)) messages.push(current.message);
    current = current.cause;
  }
  const codes = [...new Set(causeCodes(error))].filter((code) => !messages.some((message) => message.includes(code)));
  return [...messages, ...codes].join(": ") || String(error);
}
