import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, USER_B, type TestStack } from "#test-support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  // No worker: these tests are about the HTTP edge; accepted jobs just wait.
  stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: "[]" } });
});
afterAll(() => stack.close());

const valid = { to: "a@example.com", subject: "Hello", text: "Body" };

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(res.headers.get("x-request-id")).toBeTruthy();
  const problem = (await res.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, code, requestId: res.headers.get("x-request-id") });
  expect(typeof problem.type).toBe("string");
  expect(typeof problem.title).toBe("string");
  expect(typeof problem.detail).toBe("string");
  expect(JSON.stringify(problem)).not.toMatch(/\bat .*\.(ts|js):\d+/);
  return problem;
}

describe("request validation", () => {
  it.each([
    ["no recipient", { subject: "s", text: "t" }, ["to"]],
    ["a bad address", { ...valid, to: "not-an-email" }, ["to"]],
    ["a bad address in a list", { ...valid, to: ["a@example.com", "nope"] }, ["to.1"]],
    ["an empty recipient list", { ...valid, to: [] }, ["to"]],
    ["51 recipients", { ...valid, to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`) }, ["to"]],
    ["a bad cc", { ...valid, cc: ["x"] }, ["cc.0"]],
    ["an empty subject", { ...valid, subject: "" }, ["subject"]],
    ["a 999-character subject", { ...valid, subject: "s".repeat(999) }, ["subject"]],
    ["neither text nor html", { to: "a@example.com", subject: "s" }, ["text"]],
    ["an unknown field", { ...valid, priority: "high" }, [""]],
    ["a header with a line break", { ...valid, headers: { "X-Tag": "a\r\nBcc: evil@example.com" } }, ["headers.X-Tag"]],
    ["a reserved header", { ...valid, headers: { "Message-ID": "<x@y>" } }, ["headers.Message-ID"]],
    ["several bad fields at once", { to: "x", subject: "", html: 5 }, ["to", "subject", "html"]],
  ])("answers 400 VALIDATION_FAILED listing every bad field for %s", async (_name, body, paths) => {
    const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body });
    const problem = await expectProblem(res, 400, "VALIDATION_FAILED");
    const errors = problem.errors as Array<{ path: string; message: string }>;
    for (const path of paths) expect(errors.map((e) => e.path)).toContain(path);
    for (const error of errors) expect(error.message.length).toBeGreaterThan(0);
  });

  it("accepts 50 recipients and a 998-character subject", async () => {
    const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { ...valid, to: Array.from({ length: 50 }, (_, i) => `r${i}@example.com`), subject: "s".repeat(998) } });
    expect(res.status).toBe(202);
  });

  it("answers 413 for a body over 100 kB", async () => {
    const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { ...valid, text: "x".repeat(101_000) } });
    await expectProblem(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it("answers 400 for malformed JSON", async () => {
    const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: '{"to": "a@example.com",' });
    await expectProblem(res, 400, "VALIDATION_FAILED");
  });

  it("answers 415 for a body that is not declared as JSON, and 400 for one declared JSON that is not", async () => {
    const text = await fetch(`${stack.url}/jobs/email`, { method: "POST", headers: { authorization: `Bearer ${USER_A.key}`, "content-type": "text/plain" }, body: "hello" });
    await expectProblem(text, 415, "UNSUPPORTED_MEDIA_TYPE");
    const broken = await fetch(`${stack.url}/jobs/email`, { method: "POST", headers: { authorization: `Bearer ${USER_A.key}`, "content-type": "application/json" }, body: "hello" });
    await expectProblem(broken, 400, "VALIDATION_FAILED");
  });

  it("answers 415 for a JSON body in a charset or Content-Encoding it does not read, and 400 naming the path for a malformed path encoding", async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${stack.url}/jobs/email`, { method: "POST", headers: { authorization: `Bearer ${USER_A.key}`, ...headers }, body: JSON.stringify(valid) });
    await expectProblem(await post({ "content-type": "application/json; charset=latin1" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    // The same over tRPC, which would otherwise read the body as UTF-8 whatever its label.
    const trpc = await fetch(`${stack.url}/trpc/jobs.email.create`, { method: "POST", headers: { authorization: `Bearer ${USER_A.key}`, "content-type": "application/json; charset=latin1" }, body: JSON.stringify({ json: valid }) });
    expect(trpc.status).toBe(415);
    expect(await post({ "content-type": 'application/json; charset="UTF-8"' })).toHaveProperty("status", 202);
    await expectProblem(await post({ "content-type": "application/json", "content-encoding": "x-foo" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    const path = await stack.request("GET", "/jobs/status/email/%E0%A4%A", { key: USER_A.key });
    expect(path.status).toBe(400);
    expect(((await path.json()) as { detail: string }).detail).toBe("The path could not be decoded.");
  });

  it("answers 404 in the same format for an unknown path", async () => {
    await expectProblem(await stack.request("GET", "/nope"), 404, "NOT_FOUND");
    await expectProblem(await stack.request("POST", "/jobs/sms", { key: USER_A.key, body: valid }), 404, "NOT_FOUND");
  });

  it("echoes a sane X-Request-Id and replaces an insane one", async () => {
    const sane = await stack.request("GET", "/health", { headers: { "x-request-id": "abc-123" } });
    expect(sane.headers.get("x-request-id")).toBe("abc-123");
    const insane = await stack.request("GET", "/health", { headers: { "x-request-id": "a b<script>" } });
    expect(insane.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 400 VALIDATION_FAILED on tRPC with the same field list", async () => {
    const res = await fetch(`${stack.url}/trpc/jobs.email.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` },
      body: JSON.stringify({ json: { to: "x", subject: "s", text: "t" } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { json: { data: { problem: { code: string; errors: Array<{ path: string }> } } } } };
    expect(body.error.json.data.problem.code).toBe("VALIDATION_FAILED");
    expect(body.error.json.data.problem.errors.map((e) => e.path)).toEqual(["to"]);
    expect(JSON.stringify(body)).not.toContain("stack");
  });
});

describe("identity and access", () => {
  it("answers 401 with WWW-Authenticate when the key is missing or unknown", async () => {
    const missing = await stack.request("POST", "/jobs/email", { body: valid });
    await expectProblem(missing, 401, "UNAUTHORIZED");
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const unknown = await stack.request("POST", "/jobs/email", { body: valid, key: "not-a-real-key-000000" });
    await expectProblem(unknown, 401, "UNAUTHORIZED");
    expect(unknown.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("accepts the key as X-API-Key too", async () => {
    const res = await stack.request("POST", "/jobs/email", { body: valid, headers: { "x-api-key": USER_A.key } });
    expect(res.status).toBe(202);
  });

  it("shows a job to its creator and answers 404 to another user", async () => {
    const created = (await (await stack.request("POST", "/jobs/email", { key: USER_A.key, body: valid })).json()) as { jobId: string };
    const own = await stack.request("GET", `/jobs/status/email/${created.jobId}`, { key: USER_A.key });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { state: string }).state).toBe("waiting");
    await expectProblem(await stack.request("GET", `/jobs/status/email/${created.jobId}`, { key: USER_B.key }), 404, "NOT_FOUND");
    await expectProblem(await stack.request("GET", `/jobs/status/sms/${created.jobId}`, { key: USER_A.key }), 404, "NOT_FOUND");
  });

  it("answers 404, not 500, for job ids that are BullMQ's own key names", async () => {
    for (const id of ["events", "meta", "id", "wait", "active", "stalled-check"]) {
      await expectProblem(await stack.request("GET", `/jobs/status/email/${id}`, { key: ADMIN.key }), 404, "NOT_FOUND");
    }
  });

  it("gives tRPC callers the HTTP status of the problem, e.g. 404 for an unknown job", async () => {
    const input = encodeURIComponent(JSON.stringify({ json: { queue: "email", jobId: "no-such-job" } }));
    const res = await fetch(`${stack.url}/trpc/jobs.status?input=${input}`, { headers: { authorization: `Bearer ${USER_A.key}` } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { json: { data: { problem: { code: string } } } } };
    expect(body.error.json.data.problem.code).toBe("NOT_FOUND");
  });

  it("keeps /health open", async () => {
    const res = await stack.request("GET", "/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", redis: "up" });
    expect((await stack.request("GET", "/health/live")).status).toBe(200);
  });
});

describe("fuzzing the POST endpoints", () => {
  const headerName = fc.constantFrom("content-type", "idempotency-key", "x-request-id", "authorization", "x-api-key", "x-forwarded-for");
  const headerValue = fc.string({ maxLength: 300 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""));

  it("never answers 5xx to random JSON bodies and headers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/jobs/email", "/jobs/email/schedule"),
        fc.oneof(fc.jsonValue(), fc.record({ to: fc.oneof(fc.string(), fc.array(fc.string())), subject: fc.string(), text: fc.string(), sendAt: fc.string(), delayMs: fc.integer() }, { requiredKeys: [] })),
        fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
        async (path, body, headers) => {
          const res = await fetch(`${stack.url}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}`, ...headers },
            body: JSON.stringify(body),
          });
          await res.arrayBuffer();
          return res.status < 500;
        },
      ),
      { numRuns: 150 },
    );
  });
});
