/**
 * Domain errors: small named classes, each with a stable `code` from the public contract.
 * They are mapped to tRPC errors and to HTTP problem details in one place (`problem.ts`).
 */
import type { ErrorCode, FieldIssue } from "@taskgate/shared";

/** Base of every error Taskgate reports on purpose. `extensions` become problem members. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
    /** Seconds for a `Retry-After` header, when a retry makes sense. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(readonly issues: FieldIssue[], message = "The request is not valid.") {
    super("VALIDATION_FAILED", message, { errors: issues });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = "A valid API key is required (Authorization: Bearer <key> or X-API-Key).") {
    super("UNAUTHORIZED", message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = "This API key may not use this endpoint.") {
    super("FORBIDDEN", message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = "Not found.") {
    super("NOT_FOUND", message);
  }
}

/** A method the path does not serve; `allow` lists the ones it does (for the `Allow` header). */
export class MethodNotAllowedError extends AppError {
  constructor(
    readonly allow: readonly string[],
    message = `This path answers ${allow.join(" and ")} only.`,
  ) {
    super("METHOD_NOT_ALLOWED", message);
  }
}

/** A body in a format the endpoint does not read: every body is JSON. */
export class UnsupportedMediaTypeError extends AppError {
  constructor(message = "Send the body as JSON, with Content-Type: application/json.") {
    super("UNSUPPORTED_MEDIA_TYPE", message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super("PAYLOAD_TOO_LARGE", `The body is larger than ${Math.round(limitBytes / 1000)} kB.`);
  }
}

export class UnavailableError extends AppError {
  constructor(message = "A backing service is not answering; try again shortly.", retryAfterSeconds = 1) {
    super("UNAVAILABLE", message, {}, retryAfterSeconds);
  }
}

/**
 * Redis did not answer: the connection is down or a command timed out. The words are ours, never
 * the driver's (they name hosts and ports).
 */
export class RedisUnavailableError extends UnavailableError {
  constructor() {
    super("Redis is not answering; try again shortly.", 1);
  }
}

/**
 * Redis answered but refused the work: full under `noeviction`, a read-only replica, still
 * loading, busy with a script, a cluster reshuffling. It passes by itself, so it is a 503 with
 * Retry-After like an outage, not a 500; which refusal it was goes to the log only.
 */
export class RedisRefusingError extends UnavailableError {
  constructor() {
    super("Redis is not accepting work right now; try again shortly.", 1);
  }
}

export class IdempotencyKeyInUseError extends AppError {
  constructor() {
    super("IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still in flight; retry in a moment.", {}, 1);
  }
}

/** A job that is no longer waiting or scheduled (it started, finished or died): it cannot be cancelled or moved. */
export class JobNotPendingError extends AppError {
  constructor(state: string) {
    super("JOB_NOT_PENDING", `The job is ${state}: only a waiting or scheduled job can be cancelled or rescheduled.`, { state });
  }
}

/** A write based on a version of something (the rate-limit policy) that is no longer current. */
export class VersionConflictError extends AppError {
  constructor(expectedVersion: number, currentVersion: number) {
    super("VERSION_CONFLICT", `The policy is at version ${currentVersion}, not ${expectedVersion}: read it again and reapply your change.`, { expectedVersion, currentVersion });
  }
}

export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request body.");
  }
}

export class RateLimitedError extends AppError {
  constructor(message: string, extensions: Record<string, unknown>, retryAfterSeconds: number) {
    super("RATE_LIMITED", message, extensions, retryAfterSeconds);
  }
}
