/**
 * Builds the OpenAPI 3.1 document of every path the API serves (`GET /openapi.json`): one
 * operation per REST alias a procedure declares (rest/routes.ts), its input read from the
 * procedure's own zod validator and its access, summary and output schema from the procedure's
 * meta, so the document cannot drift from what the server does; and the hand-written plain
 * routes (PLAIN_OPERATIONS).
 */
import { createRequire } from "node:module";
import type { ErrorCode } from "@taskgate/shared";
import { ZodType } from "zod";
import { restAliasesOf, routeName, type RestAlias } from "../rest/routes.js";
import type { AppRouter } from "../trpc/appRouter.js";
import type { Access, ProcedureDoc } from "../trpc/meta.js";
import { baseComponents, ERROR_RESPONSES, ref } from "./components.js";
import { jsonSchemaOf, withoutProperties, type JsonSchema } from "./jsonSchema.js";
import { PLAIN_OPERATIONS } from "./plainOperations.js";

/** An OpenAPI document, as plain JSON-ready data. */
export type OpenApiDocument = Record<string, unknown> & { openapi: string; paths: Record<string, Record<string, JsonSchema>> };

type Components = ReturnType<typeof baseComponents>;

const packageVersion = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;

const PARAM = /:([A-Za-z0-9_]+)/g;
const pathParams = (path: string) => [...path.matchAll(PARAM)].map((match) => match[1]!);
const openApiPath = (path: string) => path.replace(PARAM, "{$1}");
/** `jobs.email.create` → `jobsEmailCreate`. */
const operationId = (procedure: string) => procedure.replace(/\.(\w)/g, (_, letter: string) => letter.toUpperCase());

const SUCCESS_TEXT: Record<number, string> = { 200: "OK", 202: "Accepted", 204: "Done; no body" };

function propertiesOf(schema: JsonSchema | undefined): Record<string, JsonSchema> {
  return (schema?.properties as Record<string, JsonSchema> | undefined) ?? {};
}

function requiredOf(schema: JsonSchema | undefined): string[] {
  return (schema?.required as string[] | undefined) ?? [];
}

/** The error codes an operation can answer with, from what it is (its access, input, path). */
function errorCodes(alias: RestAlias, access: Access, hasInput: boolean, extra: readonly ErrorCode[]): ErrorCode[] {
  const { route } = alias;
  const idempotent = alias.meta.idempotent === true;
  const codes: ErrorCode[] = [];
  if (hasInput || route.input === "body") codes.push("VALIDATION_FAILED");
  if (access !== "public") codes.push("UNAUTHORIZED");
  if (access === "admin") codes.push("FORBIDDEN");
  if (pathParams(route.path).length > 0) codes.push("NOT_FOUND");
  // Answered by the HTTP server before any route (shared/src/runtime/clientErrors.ts), so on every operation.
  codes.push("REQUEST_TIMEOUT");
  if (idempotent) codes.push("IDEMPOTENCY_KEY_IN_USE");
  if (route.input === "body") codes.push("PAYLOAD_TOO_LARGE");
  if (idempotent) codes.push("IDEMPOTENCY_KEY_REUSED");
  codes.push(...extra);
  if (access !== "public") codes.push("RATE_LIMITED");
  codes.push("HEADERS_TOO_LARGE", "INTERNAL");
  if (access !== "public") codes.push("UNAVAILABLE");
  return codes;
}

function buildOperation(alias: RestAlias, doc: ProcedureDoc, components: Components): JsonSchema {
  const { route, meta } = alias;
  const access = meta.access ?? "user";
  const idempotent = meta.idempotent === true;
  const validator = alias.inputs[0];
  if (validator !== undefined && !(validator instanceof ZodType)) throw new Error(`${alias.procedure}: its input is not a zod schema`);
  const input = validator ? jsonSchemaOf(validator, "input") : undefined;
  const inPath = pathParams(route.path);
  const fixed = Object.keys(route.fixedInput ?? {});

  const parameters: unknown[] = inPath.map((name) => ({ name, in: "path", required: true, schema: propertiesOf(input)[name] ?? { type: "string" } }));
  if (route.input === "query") {
    const query = withoutProperties(input ?? {}, [...inPath, ...fixed]);
    for (const [name, schema] of Object.entries(propertiesOf(query))) {
      parameters.push({ name, in: "query", required: requiredOf(query).includes(name), schema });
    }
  }
  if (idempotent) parameters.push(ref("parameters", "IdempotencyKey"));
  parameters.push(ref("parameters", "RequestId"));

  let requestBody: JsonSchema | undefined;
  if (route.input === "body") {
    if (!input || !doc.bodyName) throw new Error(`${alias.procedure}: a body alias needs an input schema and a bodyName`);
    const generated = withoutProperties(input, [...inPath, ...fixed]);
    // The rules add keywords the generator never writes at the top of an object; should it ever
    // write one, merging would silently drop it.
    const clash = Object.keys(doc.bodyRules ?? {}).filter((keyword) => keyword in generated);
    if (clash.length > 0) throw new Error(`${alias.procedure}: bodyRules would replace the generated ${clash.join(", ")}`);
    const body = { ...generated, ...doc.bodyRules };
    components.schemas[doc.bodyName] = body;
    requestBody = { required: requiredOf(body).length > 0, content: { "application/json": { schema: ref("schemas", doc.bodyName) } } };
  }

  const successHeaders: Record<string, unknown> = { "X-Request-Id": ref("headers", "X-Request-Id") };
  if (access !== "public") Object.assign(successHeaders, { RateLimit: ref("headers", "RateLimit"), "RateLimit-Policy": ref("headers", "RateLimit-Policy") });
  if (route.location) successHeaders.Location = ref("headers", "Location");
  if (idempotent) successHeaders["Idempotent-Replayed"] = ref("headers", "Idempotent-Replayed");
  const status = typeof route.status === "number" ? route.status : 200;
  const success: JsonSchema = { description: SUCCESS_TEXT[status] ?? "Success", headers: successHeaders };
  if (doc.output) {
    const { schema } = doc.output;
    if (!(schema instanceof ZodType)) throw new Error(`${alias.procedure}: its doc.output.schema is not a zod schema`);
    components.schemas[doc.output.name] ??= jsonSchemaOf(schema, "output");
    success.content = { "application/json": { schema: ref("schemas", doc.output.name) } };
  }
  const responses: Record<string, unknown> = { [status]: success };
  for (const [also, description] of Object.entries(doc.alsoStatuses ?? {})) responses[also] = { ...success, description };
  for (const code of errorCodes(alias, access, input !== undefined, doc.errors ?? [])) {
    const error = ERROR_RESPONSES[code];
    responses[error.status] ??= ref("responses", error.name);
  }

  const accessNote = access === "public" ? "Open: no API key needed." : access === "admin" ? "Needs an admin API key." : "Needs an API key (unless the server runs in open mode).";
  return {
    operationId: operationId(alias.procedure),
    summary: doc.summary,
    description: `${doc.description ?? doc.summary}\n\n${accessNote} tRPC procedure: \`${alias.procedure}\` (the same code path).`,
    tags: [doc.tag],
    ...(access === "public" ? { security: [] } : {}),
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses,
    "x-trpc-procedure": alias.procedure,
  };
}

/** What an alias without `doc` in its meta is documented as: never a reason to fail start-up. */
function fallbackDoc(alias: RestAlias): ProcedureDoc {
  const bodyName = alias.route.input === "body" ? { bodyName: operationId(alias.procedure) + "Body" } : {};
  return { tag: alias.procedure.split(".")[0] ?? "other", summary: `${routeName(alias.route)} (${alias.procedure})`, ...bodyName };
}

/** The OpenAPI 3.1 document of every REST alias and plain route. */
export function buildOpenApiDocument(router: AppRouter, aliases: readonly RestAlias[] = restAliasesOf(router)): OpenApiDocument {
  const components = baseComponents();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const alias of aliases) {
    const operation = buildOperation(alias, alias.meta.doc ?? fallbackDoc(alias), components);
    (paths[openApiPath(alias.route.path)] ??= {})[alias.route.method.toLowerCase()] = operation;
  }
  for (const plain of PLAIN_OPERATIONS) (paths[plain.path] ??= {})[plain.method] = plain.operation;
  return {
    openapi: "3.1.0",
    info: {
      title: "Taskgate API",
      version: packageVersion,
      description:
        "Rate-limited, idempotent job submission (email first) and the admin views of dead jobs and monitoring. " +
        "Errors are RFC 9457 problem details with a stable `code`. Every REST path here has a tRPC procedure at `/trpc` " +
        "(superjson) with the same behaviour; the typed client `@taskgate/client` uses those.",
    },
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
    tags: [
      { name: "health", description: "Liveness and readiness." },
      { name: "jobs", description: "Submitting jobs and reading their status." },
      { name: "dead jobs", description: "Admin: jobs that failed for good." },
      { name: "rate limits", description: "Admin: the rate-limit policy changed at run time, and per-identity overrides." },
      { name: "monitoring", description: "Admin: rate-limit log, queues, counters." },
    ],
    paths,
    components,
  };
}
