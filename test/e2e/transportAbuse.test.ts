/**
 * Abuse of the transport: client mistakes are 4xx, never 5xx (wrong methods, bodies that are
 * not JSON, path segments such as `__proto__`); a tRPC batch is capped before any call runs;
 * a forwarded address that is not an IP never becomes an identity; a trickled body is cut
 * with 408; every response carries `nosniff` and `no-store`.
 */
import { isIP } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { parseRaw, rawExchange, rawText, sendAndReset, type RawAnswer } from "#test-support/rawHttp.js";
import { keysMatching } from "#test-support/redis.js";
import { sleep } from "#test-support/time.js";

const valid = { to: "a@example.com", subject: "Hello", text: "Body" };
const trpcBody = (input: unknown) => JSON.stringify({ json: input });

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, TRPC_MAX_BATCH: "10" } });
});
afterAll(() => stack.close());

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type") ?? "").toMatch(/json/);
  const body = (await res.json()) as { code?: string; error?: { json?: { data?: { problem?: { code?: string } } } } };
  // REST answers a problem; tRPC wraps it (superjson) in its error envelope as data.problem.
  expect(body.code ?? body.error?.json?.data?.problem?.code).toBe(code);
}

describe("the tRPC transport", () => {
  it("refuses a batch over TRPC_MAX_BATCH with 400 before any call runs, and serves one at the cap", async () => {
    const eleven = Array.from({ length: 11 }, () => "jobs.email.create").join(",");
    const body = JSON.stringify(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [i, { json: valid }])));
    const refused = await fetch(`${stack.url}/trpc/${eleven}?batch=1`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` }, body });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
    const problem = ((await refused.json()) as { error: { json: { data: { problem: { code: string; requestId: string } } } } }).error.json.data.problem;
    // Refused before tRPC made a context, yet under the id the response carries.
    expect(problem).toMatchObject({ code: "VALIDATION_FAILED", requestId: refused.headers.get("x-request-id") });
    expect(await stack.api.deps.queues.email.count()).toBe(0);

    const ten = Array.from({ length: 10 }, () => "health.get").join(",");
    const served = await fetch(`${stack.url}/trpc/${ten}?batch=1`);
    expect(served.status).toBe(200);
    expect((await served.json()) as unknown[]).toHaveLength(10);
  });

  it("refuses batch inputs that are not an object by index, as tRPC does, and enqueues nothing", async () => {
    const asArray = await fetch(`${stack.url}/trpc/jobs.email.create?batch=1`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` }, body: JSON.stringify([{ json: valid }]) });
    expect(asArray.status).toBe(400);
    expect(await stack.api.deps.queues.email.count()).toBe(0);
  });

  it("reads a query's input however many empty parameters come before it, as tRPC does", async () => {
    const input = encodeURIComponent(JSON.stringify({ json: { queue: "email", jobId: "no-such-job" } }));
    const res = await fetch(`${stack.url}/trpc/jobs.status?${"&".repeat(1000)}input=${input}`, { headers: { authorization: `Bearer ${USER_A.key}` } });
    await expectProblem(res, 404, "NOT_FOUND");
  });

  it("says in its own words, never the engine's, why an input could not be read, or a body is too large", async () => {
    const auth = { authorization: `Bearer ${USER_A.key}` };
    const detailOf = async (res: Response) => ((await res.json()) as { error: { json: { message: string; data: { problem: { detail: string } } } } }).error.json;
    const post = (body: string) => fetch(`${stack.url}/trpc/jobs.email.create`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body });
    const nested = `{"json":{"to":"a@example.com","subject":"s","text":"t","metadata":{"deep":${'{"a":'.repeat(15_000)}1${"}".repeat(15_000)}}}}`;
    for (const [what, res] of [
      ["null input", await fetch(`${stack.url}/trpc/jobs.status?input=null`, { headers: auth })],
      ["meta that is not superjson's", await post(JSON.stringify({ json: valid, meta: { values: "x" } }))],
      ["nested past the call stack", await post(nested)],
    ] as const) {
      expect(res.status, what).toBe(400);
      const error = await detailOf(res);
      expect(error.data.problem.detail, what).toMatch(/^The input could not be read/);
      expect(error.message, what).toBe(error.data.problem.detail);
    }
    const tooLarge = await post(JSON.stringify({ json: { ...valid, text: "a".repeat(100_001) } }));
    expect(tooLarge.status).toBe(413);
    expect((await detailOf(tooLarge)).data.problem.detail).not.toBe("PAYLOAD_TOO_LARGE");
    expect(await stack.api.deps.queues.email.count()).toBe(0);
  });

  it("answers PUT, PATCH and DELETE with 405 and Allow, OPTIONS with 204, and never 500", async () => {
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      const res = await fetch(`${stack.url}/trpc/health.get`, { method });
      expect(res.headers.get("allow"), method).toBe("GET, POST");
      await expectProblem(res, 405, "METHOD_NOT_ALLOWED");
    }
    const preflight = await fetch(`${stack.url}/trpc/health.get`, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a body that is not JSON with 415, and a GET of a mutation or an unknown procedure with 4xx", async () => {
    const text = await fetch(`${stack.url}/trpc/jobs.email.create`, { method: "POST", headers: { "content-type": "text/plain", authorization: `Bearer ${USER_A.key}` }, body: trpcBody(valid) });
    await expectProblem(text, 415, "UNSUPPORTED_MEDIA_TYPE");
    const getMutation = await fetch(`${stack.url}/trpc/jobs.email.create`, { headers: { authorization: `Bearer ${USER_A.key}` } });
    expect(getMutation.status).toBeGreaterThanOrEqual(400);
    expect(getMutation.status).toBeLessThan(500);
    const unknown = await fetch(`${stack.url}/trpc/jobs.nope`, { headers: { authorization: `Bearer ${USER_A.key}` } });
    expect(unknown.status).toBe(404);
  });
});

describe("REST", () => {
  it("answers a form-encoded or text body with 415 naming JSON, and a wrong method on a known path with 405", async () => {
    const form = await fetch(`${stack.url}/jobs/email`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Bearer ${USER_A.key}` }, body: "to=a%40example.com&subject=Hi&text=x" });
    expect(form.status).toBe(415);
    const problem = (await form.json()) as { code: string; detail: string };
    expect(problem.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(problem.detail).toMatch(/application\/json/);

    const put = await fetch(`${stack.url}/jobs/email`, { method: "PUT", headers: { authorization: `Bearer ${USER_A.key}` } });
    expect(put.headers.get("allow")).toBe("POST");
    await expectProblem(put, 405, "METHOD_NOT_ALLOWED");
    await expectProblem(await fetch(`${stack.url}/no/such/path`, { method: "PUT" }), 404, "NOT_FOUND");
  });

  it("treats __proto__, constructor and toString as unknown queues: 404 over REST and tRPC", async () => {
    for (const queue of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      await expectProblem(await stack.request("GET", `/jobs/status/${queue}/x`, { key: USER_A.key }), 404, "NOT_FOUND");
      const input = encodeURIComponent(JSON.stringify({ json: { queue, jobId: "x" } }));
      await expectProblem(await fetch(`${stack.url}/trpc/jobs.status?input=${input}`, { headers: { authorization: `Bearer ${USER_A.key}` } }), 404, "NOT_FOUND");
    }
  });
});

describe("response headers", () => {
  it("carry nosniff and no-store, and no ETag, on JSON, problems, tRPC, the docs, the document and Prometheus", async () => {
    const responses = [
      await stack.request("GET", "/health"),
      await stack.request("GET", "/health/live"),
      await stack.request("POST", "/jobs/email", { key: USER_A.key, body: valid }),
      await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { to: "nope" } }),
      await stack.request("GET", "/nowhere"),
      await stack.request("GET", "/dead-jobs/email", { key: USER_A.key }),
      await fetch(`${stack.url}/trpc/health.get`),
      await stack.request("GET", "/docs"),
      await stack.request("GET", "/openapi.json"),
      await stack.request("GET", "/metrics", { key: ADMIN.key }),
    ];
    expect(responses.map((res) => res.status)).toEqual([200, 200, 202, 400, 404, 403, 200, 200, 200, 200]);
    for (const res of responses) {
      expect(res.headers.get("x-content-type-options"), res.url).toBe("nosniff");
      expect(res.headers.get("cache-control"), res.url).toBe("no-store");
      // Never cached, so never validated: an ETag would only cost each answer a hash.
      expect(res.headers.get("etag"), res.url).toBeNull();
    }
  });
});

describe("TRUST_PROXY and X-Forwarded-For", () => {
  let proxied: TestStack;
  beforeAll(async () => {
    proxied = await startStack({
      worker: false,
      env: { API_KEYS: API_KEYS_JSON, TRUST_PROXY: "true", RATE_LIMIT_RULES: JSON.stringify([{ name: "one-per-ip", key: "ip", limit: 1, windowMs: 60_000, routes: ["POST /jobs/email"] }]) },
    });
  });
  afterAll(() => proxied.close());

  async function blockedIps(): Promise<string[]> {
    const res = await proxied.request("GET", "/monitoring/rate-limits/blocked?limit=100", { key: ADMIN.key });
    return ((await res.json()) as { entries: Array<{ ip: string }> }).entries.map((entry) => entry.ip);
  }

  it("uses the socket address when the forwarded one is not a valid IP, and a valid forwarded IP otherwise", async () => {
    const junk = ["<img src=x onerror=alert(1)>", "x".repeat(8000), "999.1.1.1", "not-an-ip"];
    const statuses: number[] = [];
    for (const forwarded of junk) statuses.push((await proxied.request("POST", "/jobs/email", { key: USER_A.key, body: valid, headers: { "x-forwarded-for": forwarded } })).status);
    // All four share the socket address: one admitted, the rest denied on the same identity.
    expect(statuses).toEqual([202, 429, 429, 429]);
    const ips = await blockedIps();
    expect(ips).toHaveLength(3);
    for (const ip of ips) expect(isIP(ip), ip).not.toBe(0);

    expect((await proxied.request("POST", "/jobs/email", { key: USER_A.key, body: valid, headers: { "x-forwarded-for": "203.0.113.7" } })).status).toBe(202);
    expect((await proxied.request("POST", "/jobs/email", { key: USER_A.key, body: valid, headers: { "x-forwarded-for": "203.0.113.7" } })).status).toBe(429);
    expect(await blockedIps()).toContain("203.0.113.7");
  });
});

/** The answer is a problem with this status and code, and every response's headers, leaking nothing of Node. */
function expectRawProblem(answer: RawAnswer, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  expect(answer.headers["x-content-type-options"]).toBe("nosniff");
  expect(answer.headers["cache-control"]).toBe("no-store");
  expect(answer.headers.connection).toBe("close");
  expect(answer.body).toMatchObject({ status, code, requestId: answer.headers["x-request-id"] });
  expect(String(answer.body?.detail)).not.toMatch(/HPE_|ERR_|node:|\s+at \S+ \(/);
}

describe("what the HTTP parser refuses, in the public error format", () => {
  it("answers headers over 16 KiB with 431 HEADERS_TOO_LARGE", async () => {
    const answer = await rawExchange(stack.api.port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: ${"a".repeat(20_000)}\r\n\r\n`);
    expectRawProblem(answer, 431, "HEADERS_TOO_LARGE");
    expect(answer.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers bytes that are not HTTP/1.1 with 400 VALIDATION_FAILED, and a bad header line too", async () => {
    expectRawProblem(await rawExchange(stack.api.port, "THIS IS NOT HTTP\r\n\r\n"), 400, "VALIDATION_FAILED");
    expectRawProblem(await rawExchange(stack.api.port, "GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n"), 400, "VALIDATION_FAILED");
  });

  it("lets a valid request pipelined before the bytes that broke keep its own answer, then closes", async () => {
    const body = JSON.stringify(valid);
    const post = `POST /jobs/email HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${USER_A.key}\r\nX-Request-Id: pipelined-1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const before = await stack.api.deps.queues.email.count();
    const received = await rawText(stack.api.port, `${post}\x00GARBAGE\r\n\r\n`);
    expect(received.match(/HTTP\/1\.1 \d{3} /g)).toHaveLength(1);
    const answer = parseRaw(received);
    expect([answer.status, answer.headers["x-request-id"], answer.headers.connection]).toEqual([202, "pipelined-1", "close"]);
    expect((await stack.api.deps.queues.email.count()) - before).toBe(1);
  });

  it("answers what Node would answer by itself in the same format: no Host 400, CONNECT 405; an unknown Expect is served", async () => {
    const noHost = await rawExchange(stack.api.port, "GET /health HTTP/1.1\r\n\r\n");
    expectRawProblem(noHost, 400, "VALIDATION_FAILED");
    expect(noHost.body?.detail).toMatch(/Host/);
    const tunnel = await rawExchange(stack.api.port, "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n");
    expectRawProblem(tunnel, 405, "METHOD_NOT_ALLOWED");
    expect(tunnel.headers.allow).toMatch(/GET/);
    const expecting = await rawExchange(stack.api.port, "GET /health HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n");
    expect([expecting.status, expecting.body?.status]).toEqual([200, "ok"]);
  });

  it("still serves the next connection normally", async () => {
    await rawExchange(stack.api.port, "THIS IS NOT HTTP\r\n\r\n");
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
  });
});

describe("slow clients", () => {
  let strict: TestStack;
  beforeAll(async () => {
    strict = await startStack({ worker: false, env: { HTTP_REQUEST_TIMEOUT_MS: "1000" } });
  });
  afterAll(() => strict.close());

  it("cuts a body trickled past HTTP_REQUEST_TIMEOUT_MS with 408 REQUEST_TIMEOUT under the request's own id, and closes the socket", async () => {
    const answer = await rawExchange(
      strict.api.port,
      "POST /jobs/email HTTP/1.1\r\nHost: x\r\nX-Request-Id: trickle-408\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
      " ",
    );
    expect(answer.statusLine).toMatch(/^HTTP\/1\.1 408 /);
    expectRawProblem(answer, 408, "REQUEST_TIMEOUT");
    expect(answer.headers["x-request-id"]).toBe("trickle-408");
  }, 15_000);

  it("only closes, when the timeout comes, a connection whose request was answered before its body arrived", async () => {
    const received = await rawText(strict.api.port, "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
    expect(received.match(/HTTP\/1\.1 \d{3} /g)).toEqual(["HTTP/1.1 404 "]);
    expect(received).toMatch(/^HTTP\/1\.1 404 /);
  }, 15_000);

  it("cuts headers trickled past HTTP_REQUEST_TIMEOUT_MS with 408 REQUEST_TIMEOUT", async () => {
    const answer = await rawExchange(strict.api.port, "GET /health HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n");
    expectRawProblem(answer, 408, "REQUEST_TIMEOUT");
  }, 15_000);
});

describe("a client that resets right after sending", () => {
  let open: TestStack;
  beforeAll(async () => {
    open = await startStack({ worker: false, env: { RATE_LIMIT_RULES: JSON.stringify([{ name: "per-ip", key: "ip", limit: 2, windowMs: 60_000 }]) } });
  });
  afterAll(() => open.close());

  it("is charged to its own address, not to a shared stand-in, so resets do not escape its limit", async () => {
    const body = JSON.stringify(valid);
    const post = `POST /jobs/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    for (let i = 0; i < 2; i++) expect((await open.request("POST", "/jobs/email", { body: valid })).status).toBe(202);
    for (let i = 0; i < 4; i++) await sendAndReset(open.api.port, post);
    // The reset requests are handled after their sockets closed; give them their moment.
    await sleep(300);
    expect(await open.api.deps.queues.email.count()).toBe(2);
    expect(await keysMatching(open.api.deps.redis, `${open.prefix}*unknown*`)).toEqual([]);
  });
});
