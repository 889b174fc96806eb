/**
 * The OpenAPI operations of the paths the app serves outside the REST alias table
 * (`GET /health/live`, `GET /metrics`, `GET /openapi.json`, `GET /docs`): written by hand,
 * since no procedure stands behind them. A test walks the Express router so none is left out.
 */
import { ERROR_RESPONSES, ref } from "./components.js";
import type { JsonSchema } from "./jsonSchema.js";

/** One plain operation: where it is served and its document entry. */
export interface PlainOperation {
  method: "get";
  /** OpenAPI path (no parameters on these). */
  path: string;
  operation: JsonSchema;
}

const requestIdHeader = { "X-Request-Id": ref("headers", "X-Request-Id") };
const internal = { [ERROR_RESPONSES.INTERNAL.status]: ref("responses", ERROR_RESPONSES.INTERNAL.name) };

function open(operationId: string, summary: string, description: string, tag: string, success: JsonSchema): JsonSchema {
  return {
    operationId,
    summary,
    description: `${description}\n\nOpen: no API key needed.`,
    tags: [tag],
    security: [],
    parameters: [ref("parameters", "RequestId")],
    responses: { 200: { headers: requestIdHeader, ...success }, ...internal },
  };
}

export const PLAIN_OPERATIONS: readonly PlainOperation[] = [
  {
    method: "get",
    path: "/health/live",
    operation: open("healthLive", "Whether the process runs", "Liveness: 200 while the process runs, without asking Redis (use `GET /health` for readiness).", "health", {
      description: "OK",
      content: { "application/json": { schema: { type: "object", required: ["status"], properties: { status: { type: "string", enum: ["ok"] } } } } },
    }),
  },
  {
    method: "get",
    path: "/metrics",
    operation: {
      operationId: "prometheusMetrics",
      summary: "Prometheus metrics",
      description:
        "Admin. The Prometheus text exposition of this API process: requests and latencies by route, rate-limit decisions, idempotency outcomes, queue depths and job outcomes.\n\nNeeds an admin API key.",
      tags: ["monitoring"],
      parameters: [ref("parameters", "RequestId")],
      responses: {
        200: { description: "OK", headers: requestIdHeader, content: { "text/plain; version=0.0.4": { schema: { type: "string" } } } },
        [ERROR_RESPONSES.UNAUTHORIZED.status]: ref("responses", ERROR_RESPONSES.UNAUTHORIZED.name),
        [ERROR_RESPONSES.FORBIDDEN.status]: ref("responses", ERROR_RESPONSES.FORBIDDEN.name),
        ...internal,
      },
    },
  },
  {
    method: "get",
    path: "/openapi.json",
    operation: open("openApiDocument", "This document", "The OpenAPI 3.1 document of every path the API serves (the dashboard's files aside).", "health", {
      description: "OK",
      content: { "application/json": { schema: { type: "object" } } },
    }),
  },
  {
    method: "get",
    path: "/docs",
    operation: open("docsPage", "API reference page", "An HTML page that renders `/openapi.json`.", "health", {
      description: "OK",
      content: { "text/html": { schema: { type: "string" } } },
    }),
  },
];
