/**
 * The one mapping from errors to the public error format: RFC 9457 problem details with a
 * stable `code`, used for REST bodies and for the `data.problem` of tRPC errors.
 */
import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { ERROR_CODES, problemType, type ErrorCode, type FieldIssue, type Problem } from "@taskgate/shared";
import { redisFailureOf } from "../redis/failures.js";
import { AppError, RedisRefusingError, RedisUnavailableError, ValidationError, type UnavailableError } from "./appErrors.js";

const TRPC_CODES: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  VALIDATION_FAILED: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_ALLOWED: "METHOD_NOT_SUPPORTED",
  // The HTTP server answers these two before a request reaches tRPC (shared/src/runtime/clientErrors.ts);
  // tRPC has no 431, so the nearest code stands in should one ever be raised as a procedure error.
  REQUEST_TIMEOUT: "TIMEOUT",
  HEADERS_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  IDEMPOTENCY_KEY_IN_USE: "CONFLICT",
  VERSION_CONFLICT: "CONFLICT",
  JOB_NOT_PENDING: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  IDEMPOTENCY_KEY_REUSED: "UNPROCESSABLE_CONTENT",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  INTERNAL: "INTERNAL_SERVER_ERROR",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
};

const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  BAD_REQUEST: "VALIDATION_FAILED",
  PARSE_ERROR: "VALIDATION_FAILED",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  METHOD_NOT_SUPPORTED: "METHOD_NOT_ALLOWED",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  TOO_MANY_REQUESTS: "RATE_LIMITED",
  SERVICE_UNAVAILABLE: "UNAVAILABLE",
};

/** Wraps a domain error for tRPC, keeping it as the cause so the formatter finds it. */
export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: TRPC_CODES[error.code], message: error.message, cause: error });
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
}

function isZodLike(error: unknown): error is { issues: ZodLikeIssue[] } {
  return typeof error === "object" && error !== null && Array.isArray((error as { issues?: unknown }).issues);
}

/** Turns zod issues into the public field list (`to.1`, `subject`). */
export function fieldIssues(issues: readonly ZodLikeIssue[]): FieldIssue[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/**
 * The 503 for an error that means Redis is away or refusing work (`redis/failures.ts`), looked
 * for in the error and its causes; `undefined` when it is anything else.
 */
export function redisUnavailableError(error: unknown): UnavailableError | undefined {
  switch (redisFailureOf(error)) {
    case "down":
      return new RedisUnavailableError();
    case "refusing":
      return new RedisRefusingError();
    default:
      return undefined;
  }
}

/**
 * What to say of a tRPC error we did not raise: tRPC's own sentence (a bad batch, an unknown
 * procedure, JSON that does not parse), but never the engine's words for an input tRPC could not
 * turn into values (a superjson envelope that is not one: "Cannot destructure property…", a
 * value nested past the call stack: "Maximum call stack size exceeded"), nor a bare code name
 * (tRPC's 413 says "PAYLOAD_TOO_LARGE").
 */
function trpcDetail(error: TRPCError, code: ErrorCode): string {
  if (error.message === error.code) return `${ERROR_CODES[code].title}.`;
  if (error.code === "BAD_REQUEST" && (error.cause instanceof TypeError || error.cause instanceof RangeError)) return "The input could not be read: it is not a superjson envelope of JSON values, or it nests too deep.";
  return error.message;
}

/** Finds the domain error inside whatever was thrown (TRPCError causes, zod errors, Redis failures). */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isZodLike(error)) return new ValidationError(fieldIssues(error.issues));
  if (error instanceof TRPCError) {
    if (error.cause instanceof AppError) return error.cause;
    if (isZodLike(error.cause)) return new ValidationError(fieldIssues(error.cause.issues));
    const code = FROM_TRPC[error.code];
    // A tRPC error we did not raise ourselves (bad batch, unknown procedure): its message is
    // tRPC's own and safe to show; anything unexpected becomes INTERNAL without detail.
    if (code) return new AppError(code, trpcDetail(error, code));
  }
  // Redis away or refusing work is not a bug: 503 with Retry-After, in our words, not the driver's.
  return redisUnavailableError(error) ?? new AppError("INTERNAL", "Something went wrong on our side; it has been logged.");
}

/** The problem details body for an error. */
export function toProblem(error: AppError, requestId: string): Problem {
  const { status, title } = ERROR_CODES[error.code];
  return {
    type: problemType(error.code),
    title,
    status,
    detail: error.message,
    code: error.code,
    requestId,
    ...error.extensions,
  };
}
