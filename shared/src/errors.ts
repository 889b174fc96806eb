/**
 * Stable, machine-readable error codes of the public contract, with the HTTP status and
 * title each one maps to. Servers map domain errors to these once; clients switch on `code`.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: "Validation failed" },
  UNAUTHORIZED: { status: 401, title: "Unauthorized" },
  FORBIDDEN: { status: 403, title: "Forbidden" },
  NOT_FOUND: { status: 404, title: "Not found" },
  METHOD_NOT_ALLOWED: { status: 405, title: "Method not allowed" },
  /** The request's headers and body had not all arrived within HTTP_REQUEST_TIMEOUT_MS (answered by the HTTP server itself). */
  REQUEST_TIMEOUT: { status: 408, title: "Request timeout" },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, title: "Idempotency key in use" },
  VERSION_CONFLICT: { status: 409, title: "Version conflict" },
  JOB_NOT_PENDING: { status: 409, title: "Job not pending" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Payload too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported media type" },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: "Idempotency key reused" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  /** The request's headers are over Node's limit (16 KiB in all; answered by the HTTP server itself). */
  HEADERS_TOO_LARGE: { status: 431, title: "Request header fields too large" },
  INTERNAL: { status: 500, title: "Internal error" },
  UNAVAILABLE: { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

/** One of the stable error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Whether a string is one of the stable error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

/** One invalid field of a request: where it is and what is wrong with it. */
export interface FieldIssue {
  /** Dotted path into the input, e.g. `to.1` or `subject`; empty for the whole body. */
  path: string;
  /** What is wrong, in words a person understands. */
  message: string;
}

/**
 * The body of every error response (RFC 9457 problem details plus `code` and `requestId`),
 * and the `data.problem` of every tRPC error.
 */
export interface Problem {
  /** A URI naming the problem type (`about:blank`-style relative URI of the code). */
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  /** Every bad field, on `VALIDATION_FAILED`. */
  errors?: FieldIssue[];
  /** Extra, code-specific members (rate-limit rules, retry hints). */
  [extension: string]: unknown;
}

/** The `type` URI of a problem with this code. */
export function problemType(code: ErrorCode): string {
  return `https://taskgate.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`;
}
