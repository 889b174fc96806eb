/**
 * The reusable parts of the OpenAPI document: the problem+json error schema and responses,
 * the auth schemes, and the headers of the contract (README "Try it", docs/RATE_LIMITING.md).
 */
import { ERROR_CODES, type ErrorCode } from "@taskgate/shared";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "../idempotency/index.js";
import type { JsonSchema } from "./jsonSchema.js";

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** The RFC 9457 problem every error response carries, as `application/problem+json`. */
const problemSchema: JsonSchema = {
  type: "object",
  description: "RFC 9457 problem details, plus a stable `code` and the `requestId`. Code-specific members may be added.",
  required: ["type", "title", "status", "detail", "code", "requestId"],
  properties: {
    type: { type: "string", format: "uri", description: "Names the problem type, e.g. https://taskgate.dev/problems/rate-limited." },
    title: { type: "string" },
    status: { type: "integer", minimum: 400, maximum: 599 },
    detail: { type: "string", description: "What went wrong, for people." },
    code: { type: "string", enum: Object.keys(ERROR_CODES), description: "Stable, machine-readable: switch on this." },
    requestId: { type: "string", description: "Same as the X-Request-Id header." },
    errors: { type: "array", description: "Every invalid field, on VALIDATION_FAILED.", items: ref("schemas", "FieldIssue") },
  },
};

const fieldIssueSchema: JsonSchema = {
  type: "object",
  required: ["path", "message"],
  properties: {
    path: { type: "string", description: "Dotted path into the input, e.g. `to.1`; empty for the whole body." },
    message: { type: "string" },
  },
};

const violatedRule: JsonSchema = {
  type: "object",
  required: ["rule", "limit", "windowMs", "retryAfterMs"],
  properties: {
    rule: { type: "string" },
    limit: { type: "integer" },
    windowMs: { type: "integer" },
    retryAfterMs: { type: "integer", description: "Ms until a request could pass this rule." },
  },
};

/** The 429 body: the problem plus the reported rule and every violated rule. */
const rateLimitProblemSchema: JsonSchema = {
  allOf: [
    ref("schemas", "Problem"),
    {
      type: "object",
      required: ["rule", "limit", "windowMs", "retryAfterMs", "violated"],
      properties: { ...(violatedRule.properties as object), violated: { type: "array", items: violatedRule } },
    },
  ],
};

const headers: Record<string, JsonSchema> = {
  "X-Request-Id": {
    description: "The request's id: the one the client sent if sane (1-128 of `A-Za-z0-9._:-`), else a new UUID. On every response.",
    schema: { type: "string" },
  },
  RateLimit: {
    description: 'IETF draft-ietf-httpapi-ratelimit-headers-10: per matching rule, remaining quota `r` and seconds `t` until quota returns, e.g. `"email-per-user";r=12;t=41`.',
    schema: { type: "string" },
  },
  "RateLimit-Policy": {
    description: 'Per matching rule, quota `q` and window `w` in seconds, e.g. `"email-per-user";q=60;w=60, "ip-default";q=300;w=60`.',
    schema: { type: "string" },
  },
  "Retry-After": {
    description: "Whole seconds to wait before retrying; never earlier than a retry could pass.",
    schema: { type: "integer", minimum: 0 },
  },
  Location: { description: "The job's status URL (same as `statusUrl`).", schema: { type: "string" } },
  "Idempotent-Replayed": {
    description: "`true` when this is the stored answer of an earlier request with the same Idempotency-Key and body.",
    schema: { type: "string", enum: ["true"] },
  },
  "WWW-Authenticate": { description: 'Always `Bearer realm="taskgate"`.', schema: { type: "string" } },
};

const parameters: Record<string, JsonSchema> = {
  IdempotencyKey: {
    name: "Idempotency-Key",
    in: "header",
    required: false,
    description:
      "Makes the request safe to retry: the same key and body within IDEMPOTENCY_TTL_MS replays the first answer (with `Idempotent-Replayed: true`) and enqueues nothing; the same key with another body is 422; while the first request is in flight, 409 with Retry-After. Scoped per user and route.",
    schema: { type: "string", minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH, pattern: "^[\\x21-\\x7e](?:[\\x20-\\x7e]*[\\x21-\\x7e])?$" },
  },
  RequestId: {
    name: "X-Request-Id",
    in: "header",
    required: false,
    description: "Your id for the request, echoed back and carried into job logs; ignored unless 1-128 of `A-Za-z0-9._:-`.",
    schema: { type: "string", maxLength: 128 },
  },
};

/** Headers of every response. */
const withRequestId = { "X-Request-Id": ref("headers", "X-Request-Id") };

function problemResponse(description: string, schema = "Problem", extraHeaders: Record<string, unknown> = {}): JsonSchema {
  return { description, headers: { ...withRequestId, ...extraHeaders }, content: { "application/problem+json": { schema: ref("schemas", schema) } } };
}

const retryAfter = { "Retry-After": ref("headers", "Retry-After") };

/** One reusable response per error code, named after the code's status. */
export const ERROR_RESPONSES: Record<ErrorCode, { status: number; name: string; response: JsonSchema }> = {
  VALIDATION_FAILED: { status: 400, name: "ValidationFailed", response: problemResponse("VALIDATION_FAILED: the input is not valid (every bad field is listed), or the body is not JSON.") },
  UNAUTHORIZED: { status: 401, name: "Unauthorized", response: problemResponse("UNAUTHORIZED: no API key, or an unknown one.", "Problem", { "WWW-Authenticate": ref("headers", "WWW-Authenticate") }) },
  FORBIDDEN: { status: 403, name: "Forbidden", response: problemResponse("FORBIDDEN: this endpoint needs an admin API key.") },
  NOT_FOUND: { status: 404, name: "NotFound", response: problemResponse("NOT_FOUND: no such queue or job (or not yours), or no such endpoint.") },
  METHOD_NOT_ALLOWED: { status: 405, name: "MethodNotAllowed", response: problemResponse("METHOD_NOT_ALLOWED: the path exists but does not answer this method.") },
  REQUEST_TIMEOUT: { status: 408, name: "RequestTimeout", response: problemResponse("REQUEST_TIMEOUT: the request's headers and body had not all arrived within HTTP_REQUEST_TIMEOUT_MS; the connection is closed.") },
  HEADERS_TOO_LARGE: { status: 431, name: "HeadersTooLarge", response: problemResponse("HEADERS_TOO_LARGE: the request's headers are over 16 KiB in all; the connection is closed.") },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, name: "UnsupportedMediaType", response: problemResponse("UNSUPPORTED_MEDIA_TYPE: the body is not JSON (send Content-Type: application/json).") },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, name: "IdempotencyKeyInUse", response: problemResponse("IDEMPOTENCY_KEY_IN_USE: a request with this Idempotency-Key is still in flight; retry after Retry-After.", "Problem", retryAfter) },
  JOB_NOT_PENDING: { status: 409, name: "JobNotPending", response: problemResponse("JOB_NOT_PENDING: the job already started, finished or died (its `state` is in the body); only a waiting or scheduled job can be cancelled or rescheduled.") },
  VERSION_CONFLICT: { status: 409, name: "VersionConflict", response: problemResponse("VERSION_CONFLICT: `expectedVersion` is not the current version; nothing changed. Read the policy again and reapply.") },
  PAYLOAD_TOO_LARGE: { status: 413, name: "PayloadTooLarge", response: problemResponse("PAYLOAD_TOO_LARGE: the body is over 100 kB.") },
  IDEMPOTENCY_KEY_REUSED: { status: 422, name: "IdempotencyKeyReused", response: problemResponse("IDEMPOTENCY_KEY_REUSED: this Idempotency-Key was used with a different body.") },
  RATE_LIMITED: {
    status: 429,
    name: "RateLimited",
    response: problemResponse("RATE_LIMITED: a rate-limit rule is exhausted; retry after Retry-After. The body names the reported rule and lists every violated one.", "RateLimitProblem", {
      ...retryAfter,
      RateLimit: ref("headers", "RateLimit"),
      "RateLimit-Policy": ref("headers", "RateLimit-Policy"),
    }),
  },
  INTERNAL: { status: 500, name: "Internal", response: problemResponse("INTERNAL: something broke on the server; it has been logged under the request id.") },
  UNAVAILABLE: { status: 503, name: "Unavailable", response: problemResponse("UNAVAILABLE: Redis is not answering (or the limiter fails closed); retry after Retry-After.", "Problem", retryAfter) },
};

/** `components` of the document, without the schemas generated from zod (added by the builder). */
export function baseComponents() {
  return {
    schemas: { Problem: problemSchema, FieldIssue: fieldIssueSchema, RateLimitProblem: rateLimitProblemSchema } as Record<string, JsonSchema>,
    responses: Object.fromEntries(Object.values(ERROR_RESPONSES).map(({ name, response }) => [name, response])),
    parameters,
    headers,
    securitySchemes: {
      bearerAuth: { type: "http", scheme: "bearer", description: "`Authorization: Bearer <API key>`; keys come from API_KEYS." },
      apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key", description: "The same API key, in `X-API-Key`." },
    },
  };
}

export { ref };
