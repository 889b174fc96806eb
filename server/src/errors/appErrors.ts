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

export class IdempotencyKeyInUseError extends AppError {
  constructor() {
    super("IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still in flight; retry in a moment.", {}, 1);
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
