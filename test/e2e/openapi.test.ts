/**
 * The OpenAPI document (`GET /openapi.json`) and the docs page (`GET /docs`), issue 8: every REST
 * alias documented from the same zod schemas, errors as problem+json, and real responses of the
 * live API accepted by the documented schemas.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { restAliasesOf, routeName, routerShape } from "@taskgate/server";
import { PLAIN_OPERATIONS } from "../../server/src/openapi/plainOperations.js";
import { API_KEYS_JSON, ADMIN, startStack, USER_A, type TestStack } from "#test-support/stack.js";

type Json = Record<string, unknown>;

/** The REST aliases, as the procedures declare them. */
const REST_ALIASES = restAliasesOf(routerShape());

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  security: Json[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json>; securitySchemes: Record<string, Json> };
}

let stack: TestStack;
let doc: OpenApiDoc;
beforeAll(async () => {
  stack = await startStack({
    worker: false,
    env: {
      API_KEYS: API_KEYS_JSON,
      RATE_LIMIT_RULES: JSON.stringify([{ name: "status-burst", key: "user", limit: 1, windowMs: 60_000, routes: ["GET /jobs/status/*"] }]),
    },
  });
  const res = await stack.request("GET", "/openapi.json");
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApiDoc;
});
afterAll(() => stack.close());

/** Follows a local `$ref` (`#/components/...`). */
function resolve<T = Json>(value: unknown): T {
  let node = value as Json;
  while (typeof node.$ref === "string") {
    node = node.$ref
      .slice(2)
      .split("/")
      .reduce<Json>((parent, key) => parent[key] as Json, doc as unknown as Json);
    expect(node, `unresolvable ref`).toBeDefined();
  }
  return node as T;
}

/** The value with every `$ref` replaced by what it points to (the document has no cycles). */
function inline(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inline);
  if (typeof value !== "object" || value === null) return value;
  if (typeof (value as Json).$ref === "string") return inline(resolve(value));
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, inline(inner)]));
}

function operation(method: string, path: string): Json {
  const op = doc.paths[path]?.[method];
  expect(op, `${method.toUpperCase()} ${path} is documented`).toBeDefined();
  return op!;
}

function bodySchema(method: string, path: string): Json {
  const body = operation(method, path).requestBody as { content: Record<string, { schema: Json }> };
  return resolve(body.content["application/json"]!.schema);
}

/** A zod validator built from a documented response schema, to check real answers against it. */
function validatorOf(op: Json, status: number, mediaType = "application/json") {
  const response = resolve<{ content: Record<string, { schema: Json }> }>((op.responses as Json)[String(status)]);
  return z.fromJSONSchema(inline(response.content[mediaType]!.schema) as Json);
}

interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** `METHOD /path` of every route on the app's router (Express 5: `app.router.stack`). */
function servedRoutes(running: TestStack): string[] {
  const app = running.api.app as unknown as { router: { stack: RouterLayer[] } };
  expect(app.router?.stack, "the API's app is an Express 5 app").toBeDefined();
  return app.router.stack.flatMap((layer) => {
    if (!layer.route) return [];
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    const methods = Object.keys(layer.route.methods).filter((method) => layer.route!.methods[method] && method !== "_all");
    return paths.flatMap((path) => methods.map((method) => `${method.toUpperCase()} ${path}`));
  });
}

describe("GET /openapi.json", () => {
  it("is an open OpenAPI 3.1 document with the bearer and X-API-Key schemes", async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: "Taskgate API", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.apiKeyHeader).toMatchObject({ type: "apiKey", in: "header", name: "X-API-Key" });
    expect(doc.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
    expect(operation("get", "/health").security).toEqual([]);
  });

  it("has one operation per REST alias, named after its tRPC procedure, and every $ref resolves", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented).toHaveLength(REST_ALIASES.length + PLAIN_OPERATIONS.length);
    for (const { route, procedure, meta } of REST_ALIASES) {
      const op = operation(route.method.toLowerCase(), route.path.replace(/:(\w+)/g, "{$1}"));
      const name = routeName(route);
      expect(op["x-trpc-procedure"], name).toBe(procedure);
      expect(meta.doc, `${name} declares its summary and tag in its procedure's meta`).toBeDefined();
      expect(op.summary, name).toBe(meta.doc?.summary);
      const inPath = [...route.path.matchAll(/:(\w+)/g)].map((match) => match[1]);
      const pathParams = (op.parameters as Json[]).map((p) => resolve(p)).filter((p) => p.in === "path").map((p) => p.name);
      expect(pathParams, name).toEqual(inPath);
    }
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) expect(() => resolve(JSON.parse(`{${ref}}`)), ref).not.toThrow();
  });

  it("documents the email body from the zod schema: fields, limits, closed to unknown fields", () => {
    const email = bodySchema("post", "/jobs/email");
    expect(email.type).toBe("object");
    expect(email.required).toEqual(["to", "subject"]);
    expect(email.additionalProperties).toBe(false);
    const props = email.properties as Record<string, Json>;
    expect(Object.keys(props)).toEqual(expect.arrayContaining(["to", "cc", "bcc", "subject", "text", "html", "replyTo", "headers", "metadata"]));
    expect(props.subject).toMatchObject({ type: "string", minLength: 1, maxLength: 998 });
    expect(props.text).toMatchObject({ type: "string", maxLength: 90_000 });
    const to = props.to!.anyOf as Json[];
    expect(to).toContainEqual(expect.objectContaining({ type: "string", format: "email" }));
    expect(to).toContainEqual(expect.objectContaining({ type: "array", minItems: 1, maxItems: 50 }));

    const schedule = bodySchema("post", "/jobs/email/schedule").properties as Record<string, Json>;
    expect(schedule.delayMs).toMatchObject({ type: "integer", minimum: 0, maximum: 30 * 24 * 3600 * 1000 });
    expect(JSON.stringify(schedule.sendAt)).toContain('"format":"date-time"');

    const create = operation("post", "/jobs/email");
    expect((create.parameters as Json[]).map((p) => resolve(p).name)).toContain("Idempotency-Key");
    expect(Object.keys(resolve<Json>((create.responses as Json)["202"]).headers as Json)).toEqual(
      expect.arrayContaining(["Location", "X-Request-Id", "RateLimit", "RateLimit-Policy", "Idempotent-Replayed"]),
    );
  });

  it("documents the rules zod's generator cannot see, as the server enforces them: one of text or html, exactly one of sendAt or delayMs", async () => {
    const textOrHtml = { anyOf: [{ required: ["text"] }, { required: ["html"] }] };
    const sendAtOrDelay = { oneOf: [{ required: ["sendAt"] }, { required: ["delayMs"] }] };
    const email = bodySchema("post", "/jobs/email");
    const schedule = bodySchema("post", "/jobs/email/schedule");
    // Under allOf, not beside `properties`, where openapi-typescript would make the body `unknown`.
    expect(email.allOf).toEqual([textOrHtml]);
    expect(schedule.allOf).toEqual([textOrHtml, sendAtOrDelay]);
    expect(schedule.required).toEqual(["to", "subject"]);

    // The document's verdict on each body (its required, allOf, anyOf and oneOf) is the server's.
    const meets = (schema: Json, body: Json): boolean =>
      ((schema.required as string[] | undefined) ?? []).every((name) => name in body) &&
      ((schema.allOf as Json[] | undefined) ?? []).every((part) => meets(part, body)) &&
      ((schema.anyOf as Json[] | undefined)?.some((part) => meets(part, body)) ?? true) &&
      ((schema.oneOf as Json[] | undefined)?.filter((part) => meets(part, body)).length ?? 1) === 1;
    const mail = { to: "a@example.com", subject: "rules" };
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const cases: Array<[string, Json, Json]> = [
      ["/jobs/email", email, { ...mail, text: "hi" }],
      ["/jobs/email", email, { ...mail, html: "<p>hi</p>" }],
      ["/jobs/email", email, mail],
      ["/jobs/email/schedule", schedule, { ...mail, text: "hi", delayMs: 60_000 }],
      ["/jobs/email/schedule", schedule, { ...mail, html: "<p>hi</p>", sendAt }],
      ["/jobs/email/schedule", schedule, { ...mail, text: "hi" }],
      ["/jobs/email/schedule", schedule, { ...mail, text: "hi", delayMs: 60_000, sendAt }],
      ["/jobs/email/schedule", schedule, { ...mail, delayMs: 60_000 }],
    ];
    expect(cases.filter(([, schema, body]) => !meets(schema, body))).toHaveLength(4);
    for (const [path, schema, body] of cases) {
      const res = await stack.request("POST", path, { key: USER_A.key, body });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(meets(schema, body) ? 202 : 400);
    }
  });

  it("documents query inputs as parameters, the queue as a path parameter", () => {
    const list = operation("get", "/dead-jobs/{queue}").parameters as Json[];
    const query = list.map((p) => resolve(p)).filter((p) => p.in === "query");
    expect(list.map((p) => resolve(p)).filter((p) => p.in === "path").map((p) => p.name)).toEqual(["queue"]);
    expect(query.map((p) => p.name).sort()).toEqual(["cursor", "limit", "q", "since", "until", "userId"]);
    const limit = query.find((p) => p.name === "limit");
    expect(limit).toMatchObject({ required: false, schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } });
    const blocked = (operation("get", "/monitoring/rate-limits/blocked").parameters as Json[]).map((p) => resolve(p).name);
    expect(blocked).toEqual(expect.arrayContaining(["limit", "since", "until", "ip", "userId", "rule", "route"]));
  });

  it("answers errors as problem+json: 429 with the rate-limit problem and headers, 401/403 where keys matter", () => {
    const problem = doc.components.schemas.Problem!;
    expect(problem.required).toEqual(expect.arrayContaining(["type", "title", "status", "detail", "code", "requestId"]));
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const responses = op.responses as Json;
        const errors = Object.keys(responses).filter((status) => Number(status) >= 400 && !(path === "/health" && status === "503"));
        expect(errors, `${method} ${path}`).toContain("500");
        for (const status of errors) {
          const content = resolve<{ content: Record<string, { schema: Json }> }>(responses[status]).content;
          expect(Object.keys(content), `${method} ${path} ${status}`).toEqual(["application/problem+json"]);
        }
        if (Array.isArray(op.security) && op.security.length === 0) continue;
        expect(errors, `${method} ${path}`).toContain("401");
        // The plain admin route (/metrics) is neither rate limited nor asks Redis to answer.
        if (op["x-trpc-procedure"] === undefined) continue;
        expect(errors, `${method} ${path}`).toEqual(expect.arrayContaining(["429", "503"]));
        const tooMany = resolve<{ headers: Json; content: Record<string, { schema: Json }> }>(responses["429"]);
        expect(Object.keys(tooMany.headers)).toEqual(expect.arrayContaining(["Retry-After", "RateLimit", "RateLimit-Policy", "X-Request-Id"]));
        const schema = resolve<{ allOf: Json[] }>(tooMany.content["application/problem+json"]!.schema);
        expect(schema.allOf[0]).toEqual({ $ref: "#/components/schemas/Problem" });
        if (path.startsWith("/dead-jobs") || path.startsWith("/monitoring") || path.startsWith("/metrics")) expect(errors).toContain("403");
      }
    }
  });

  it("accepts what the live API answers: a created job, its status, a 429 and a 400", async () => {
    const create = operation("post", "/jobs/email");
    const created = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { to: "a@example.com", subject: "documented", text: "hi" } });
    expect(created.status).toBe(202);
    const enqueued = (await created.json()) as { jobId: string };
    expect(() => validatorOf(create, 202).parse(enqueued)).not.toThrow();

    const statusOp = operation("get", "/jobs/status/{queue}/{jobId}");
    const status = await stack.request("GET", `/jobs/status/email/${enqueued.jobId}`, { key: USER_A.key });
    expect(status.status).toBe(200);
    const statusBody = await status.json();
    expect(() => validatorOf(statusOp, 200).parse(statusBody)).not.toThrow();

    const limited = await stack.request("GET", `/jobs/status/email/${enqueued.jobId}`, { key: USER_A.key });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const tooMany = await limited.json();
    expect(() => validatorOf(statusOp, 429, "application/problem+json").parse(tooMany)).not.toThrow();

    const invalid = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { to: "not-an-address", subject: "" } });
    expect(invalid.status).toBe(400);
    const problem = await invalid.json();
    expect(() => validatorOf(create, 400, "application/problem+json").parse(problem)).not.toThrow();

    // The validators are not vacuous: a wrong answer fails them.
    expect(() => validatorOf(create, 202).parse({ jobId: 1, queue: "sms" })).toThrow();
  });

  it("documents every route the Express app serves, walked from its router (the dashboard's files aside)", () => {
    const served = servedRoutes(stack);
    // Not vacuous: the walk finds the aliases and the plain routes.
    expect(served).toEqual(expect.arrayContaining(["POST /jobs/email", "GET /health/live", "GET /metrics", "GET /openapi.json", "GET /docs"]));
    expect(served.length).toBeGreaterThanOrEqual(REST_ALIASES.length + PLAIN_OPERATIONS.length);
    for (const route of served) {
      const [method, path] = route.split(" ") as [string, string];
      expect(doc.paths[path.replace(/:(\w+)/g, "{$1}")]?.[method.toLowerCase()], `${route} is in /openapi.json`).toBeDefined();
    }
  });

  it("is served without an API key, and the same for an admin key", async () => {
    const open = await stack.request("GET", "/openapi.json");
    const admin = await stack.request("GET", "/openapi.json", { key: ADMIN.key });
    expect(open.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await open.text()).toBe(await admin.text());
  });
});

describe("GET /docs", () => {
  it("returns an HTML page that renders openapi.json, its inline script allowed by the CSP hash", async () => {
    const res = await stack.request("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('href="openapi.json"');
    expect(html).toContain("<noscript>");
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(script).toContain('fetch("openapi.json")');
    const csp = res.headers.get("content-security-policy") ?? "";
    const hash = createHash("sha256").update(script!).digest("base64");
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(csp).toContain("default-src 'none'");
  });

  describe("in a browser (headless Chromium)", () => {
    // Imported here, not at the top, so the rest of the file does not depend on the browser support.
    let browser: Awaited<ReturnType<typeof import("#test-support/browser.js").launchChromium>>;
    beforeAll(async () => {
      const { launchChromium } = await import("#test-support/browser.js");
      browser = await launchChromium();
    });
    afterAll(() => browser?.close());

    /** A fresh page collecting script errors and whatever the CSP refused (the page must cause neither). */
    async function openPage() {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      return { page, problems };
    }

    it("renders the document's `code` spans as <code> elements, leaving no backticks in descriptions", async () => {
      const { page, problems } = await openPage();
      await page.goto(`${stack.url}/docs`);
      await page.locator("#jobsEmailCreate").waitFor({ state: "attached" });

      // info.description: "… with a stable `code` … at `/trpc` …"
      expect(await page.locator("#description code").allTextContents()).toEqual(expect.arrayContaining(["code", "/trpc"]));
      expect(await page.locator("#description").textContent()).not.toContain("`");
      // An operation's description, from the procedure's meta and the tRPC procedure note.
      expect(await page.locator("#jobsEmailCreate .note code").allTextContents()).toEqual(expect.arrayContaining(["Location", "text", "html", "Idempotency-Key", "jobs.email.create"]));
      // Every description and response meaning on the page (schemas stay JSON, backticks and all).
      const prose = [...(await page.locator("#operations .note").allTextContents()), ...(await page.locator("#operations td:nth-child(2)").allTextContents())];
      expect(prose.length).toBeGreaterThan(10);
      expect(prose.filter((text) => text.includes("`"))).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    });

    it("renders only code spans, from text: markup in the document stays text and no element is made from it", async () => {
      const { page, problems } = await openPage();
      const hostile = {
        openapi: "3.1.0",
        info: { title: "Hostile", version: "1", description: 'Span `<img src=x onerror="window.pwned=1">` and <b>bold</b>, an unpaired ` tick.' },
        paths: {
          "/x": {
            get: {
              operationId: "hostileOp",
              summary: "`<i>s</i>`",
              description: "<script>window.pwned=2</script> `a` and `b`",
              responses: { "200": { description: "`<u>ok</u>`" } },
            },
          },
        },
        components: { schemas: {} },
      };
      await page.route("**/openapi.json", (route) => route.fulfill({ contentType: "application/json", body: JSON.stringify(hostile) }));
      await page.goto(`${stack.url}/docs`);
      await page.locator("#hostileOp").waitFor({ state: "attached" });

      const description = page.locator("#description");
      expect(await description.locator("code").allTextContents()).toEqual(['<img src=x onerror="window.pwned=1">']);
      expect(await description.textContent()).toBe('Span <img src=x onerror="window.pwned=1"> and <b>bold</b>, an unpaired ` tick.');
      const operation = page.locator("#hostileOp");
      expect(await operation.locator(".note code").allTextContents()).toEqual(["a", "b"]);
      expect(await operation.locator("summary code").allTextContents()).toEqual(["/x", "<i>s</i>"]);
      expect(await operation.locator("td code").allTextContents()).toContain("<u>ok</u>");
      // Nothing but the page's own elements: no img, b, i, u or script came from the document's text.
      expect(await page.locator("img, b, i, u").count()).toBe(0);
      expect(await page.locator("script").count()).toBe(1);
      expect(await page.evaluate("window.pwned")).toBeUndefined();
      expect(problems).toEqual([]);
      await page.close();
    });
  });
});
