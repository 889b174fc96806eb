/**
 * The client SDK against a live API (in-process, real Redis): typed round trips with Dates,
 * the Idempotency-Key on every create, retries that never enqueue twice (a dropped connection,
 * 409 in flight, 429 with Retry-After, a proxy's 503), what is not retried, cancellation, and
 * the one error class.
 */
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { emailJobInput } from "@taskgate/shared";
import { createAppRouter } from "@taskgate/server";
import { fingerprint } from "../../server/src/idempotency/index.js";
import { createClient, TaskgateError, type ClientOptions, type RetryEvent, type TaskgateClient } from "@taskgate/client";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { freePort } from "#test-support/ports.js";
import { sleep } from "#test-support/time.js";

interface SeenRequest {
  procedure: string;
  idempotencyKey: string | null;
  status: number | undefined;
  replayed: boolean;
}

/**
 * A fetch that records every request and lets a test break one: `fault` runs instead of, or
 * after, the real fetch for the n-th request to a procedure.
 */
function recordingFetch(fault?: (request: SeenRequest, real: () => Promise<Response>, nth: number) => Promise<Response>) {
  const seen: SeenRequest[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const request: SeenRequest = {
      procedure: url.pathname.replace(/^\/trpc\//, ""),
      idempotencyKey: new Headers(init?.headers).get("idempotency-key"),
      status: undefined,
      replayed: false,
    };
    seen.push(request);
    const nth = seen.filter((other) => other.procedure === request.procedure).length;
    const real = async () => {
      const response = await fetch(input, init);
      request.status = response.status;
      request.replayed = response.headers.get("idempotent-replayed") === "true";
      return response;
    };
    return fault ? fault(request, real, nth) : real();
  };
  return { fetch: fetchImpl, seen };
}

function clientFor(stack: TestStack, options: Partial<ClientOptions> = {}): TaskgateClient {
  return createClient({ baseUrl: stack.url, apiKey: USER_A.key, retry: { baseDelayMs: 10 }, ...options });
}

async function thrown(work: Promise<unknown>): Promise<TaskgateError> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(TaskgateError);
    return error as TaskgateError;
  }
  throw new Error("expected the call to fail");
}

const waitingJobs = (stack: TestStack) => stack.api.deps.queues.email.getWaitingCount();
const email = (subject: string) => ({ to: "someone@example.com", subject, text: "hello" });

describe("typed calls", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON } });
  });
  afterAll(() => stack.close());

  it("creates a job and reads its status, with dates as Date", async () => {
    const client = clientFor(stack);
    const created = await client.jobs.email.create(email("typed"));
    expect(created).toMatchObject({ queue: "email", state: "waiting", statusUrl: `/jobs/status/email/${created.jobId}` });
    const status = await client.jobs.status({ queue: "email", jobId: created.jobId });
    expect(status).toMatchObject({ jobId: created.jobId, state: "waiting", attemptsMade: 0 });
    expect(status.createdAt).toBeInstanceOf(Date);
    expectTypeOf(status.createdAt).toEqualTypeOf<Date>();
    expectTypeOf(status.state).toEqualTypeOf<"waiting" | "scheduled" | "active" | "retrying" | "completed" | "dead" | "cancelled">();

    const sendAt = new Date(Date.now() + 3_600_000);
    const scheduled = await client.jobs.email.schedule({ ...email("later"), sendAt });
    expect(scheduled.state).toBe("scheduled");
    expect(scheduled.scheduledFor).toBeInstanceOf(Date);
    expect(scheduled.scheduledFor!.getTime()).toBeGreaterThanOrEqual(sendAt.getTime() - 1000);
    expectTypeOf(scheduled.scheduledFor).toEqualTypeOf<Date | undefined>();
  });

  it("sends a fresh Idempotency-Key with every create, or the caller's, and the caller's key replays", async () => {
    const spy = recordingFetch();
    const client = clientFor(stack, { fetch: spy.fetch });
    const before = await waitingJobs(stack);
    await client.jobs.email.create(email("one"));
    await client.jobs.email.create(email("two"));
    const first = await client.jobs.email.create(email("three"), { idempotencyKey: "order-42" });
    const again = await client.jobs.email.create(email("three"), { idempotencyKey: "order-42" });
    const keys = spy.seen.map((request) => request.idempotencyKey);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys.slice(2)).toEqual(["order-42", "order-42"]);
    expect(again.jobId).toBe(first.jobId);
    expect(spy.seen.map((request) => request.replayed)).toEqual([false, false, false, true]);
    expect(await waitingJobs(stack)).toBe(before + 3);

    // Queries carry no key.
    await client.jobs.status({ queue: "email", jobId: first.jobId });
    expect(spy.seen.at(-1)).toMatchObject({ procedure: "jobs.status", idempotencyKey: null });
  });

  it("has one method per procedure of the server's router, at the same path", () => {
    const client = clientFor(stack);
    const paths: string[] = [];
    const walk = (node: object, prefix: string) => {
      for (const [name, value] of Object.entries(node)) {
        if (typeof value === "function") paths.push(prefix + name);
        else walk(value as object, `${prefix}${name}.`);
      }
    };
    walk(client, "");
    expect(paths.sort()).toEqual(Object.keys(createAppRouter(stack.api.deps)._def.procedures).sort());
  });

  it("throws TaskgateError with code, status and request id: 400 with the bad fields, 401, 403, 404", async () => {
    const client = clientFor(stack);
    const invalid = await thrown(client.jobs.email.create({ to: "not-an-address", subject: "x", text: "y" }));
    expect(invalid).toMatchObject({ code: "VALIDATION_FAILED", status: 400, attempts: 1 });
    expect(invalid.problem?.errors).toContainEqual(expect.objectContaining({ path: "to" }));
    expect(invalid.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);

    const anonymous = await thrown(createClient({ baseUrl: stack.url }).jobs.status({ queue: "email", jobId: "x" }));
    expect(anonymous).toMatchObject({ code: "UNAUTHORIZED", status: 401, requestId: expect.any(String) });
    expect(anonymous.problem).toMatchObject({ code: "UNAUTHORIZED", status: 401, requestId: anonymous.requestId });

    const forbidden = await thrown(client.deadJobs.list({ queue: "email" }));
    expect(forbidden).toMatchObject({ code: "FORBIDDEN", status: 403, attempts: 1 });
    expect(forbidden.message).toMatch(/admin/);

    const missing = await thrown(createClient({ baseUrl: stack.url, apiKey: ADMIN.key }).deadJobs.get({ queue: "email", jobId: "no-such-job" }));
    expect(missing).toMatchObject({ code: "NOT_FOUND", status: 404, retryAfterMs: undefined });
  });

  it("does not retry a 422: the same key with another body", async () => {
    const spy = recordingFetch();
    const client = clientFor(stack, { fetch: spy.fetch });
    await client.jobs.email.create(email("original"), { idempotencyKey: "reuse-1" });
    const reused = await thrown(client.jobs.email.create(email("changed"), { idempotencyKey: "reuse-1" }));
    expect(reused).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED", status: 422, attempts: 1, idempotencyKey: "reuse-1" });
    expect(spy.seen).toHaveLength(2);
  });

  it("retries a create whose connection dropped after the server took it, with the same key: one job", async () => {
    const spy = recordingFetch(async (_request, real, nth) => {
      const response = await real();
      if (nth === 1) throw new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) });
      return response;
    });
    const retries: RetryEvent[] = [];
    const client = clientFor(stack, { fetch: spy.fetch, retry: { baseDelayMs: 10, onRetry: (event) => retries.push(event) } });
    const before = await waitingJobs(stack);
    const created = await client.jobs.email.create(email("dropped"));
    expect(spy.seen).toHaveLength(2);
    expect(spy.seen[0]!.status).toBe(200);
    expect(spy.seen[1]).toMatchObject({ status: 200, replayed: true, idempotencyKey: spy.seen[0]!.idempotencyKey });
    expect(retries).toEqual([expect.objectContaining({ path: "jobs.email.create", attempt: 1 })]);
    expect(retries[0]!.error).toMatchObject({ code: "NETWORK_ERROR", status: undefined });
    expect(await waitingJobs(stack)).toBe(before + 1);
    expect((await client.jobs.status({ queue: "email", jobId: created.jobId })).state).toBe("waiting");
  });

  it("does not retry a dead-job retry whose connection dropped after sending, but does retry a refused connection", async () => {
    const spy = recordingFetch(async (_request, real) => {
      await real();
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) });
    });
    const admin = createClient({ baseUrl: stack.url, apiKey: ADMIN.key, fetch: spy.fetch, retry: { baseDelayMs: 10 } });
    const dropped = await thrown(admin.deadJobs.retry({ queue: "email", jobId: "whatever" }));
    expect(dropped).toMatchObject({ code: "NETWORK_ERROR", attempts: 1 });
    expect(spy.seen).toHaveLength(1);

    // Nothing listens on a port just freed: the connection is refused before anything is sent.
    const port = await freePort();
    const nowhere = createClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: ADMIN.key, retry: { attempts: 2, baseDelayMs: 1 } });
    const refused = await thrown(nowhere.deadJobs.delete({ queue: "email", jobId: "x" }));
    expect(refused).toMatchObject({ code: "NETWORK_ERROR", status: undefined, requestId: undefined, attempts: 2 });
    expect(refused.message).toMatch(/ECONNREFUSED/);
  });

  it("retries a query on a proxy's non-JSON 503 page, honouring its Retry-After", async () => {
    const spy = recordingFetch(async (request, real, nth) => {
      if (nth > 1) return real();
      request.status = 503;
      return new Response("<html>upstream unavailable</html>", { status: 503, headers: { "content-type": "text/html", "retry-after": "0" } });
    });
    const retries: RetryEvent[] = [];
    const client = clientFor(stack, { fetch: spy.fetch, retry: { baseDelayMs: 10, onRetry: (event) => retries.push(event) } });
    const health = await client.health.get();
    expect(health.status).toBe("ok");
    expect(retries[0]!.error).toMatchObject({ code: "UNAVAILABLE", status: 503, retryAfterMs: 0, problem: undefined });
  });

  it("does not resend a dead-job retry after a 503 that is not Taskgate's (a proxy's page): the server may have acted", async () => {
    const spy = recordingFetch(async (request, real) => {
      await real();
      request.status = 503;
      return new Response("<html>bad gateway</html>", { status: 503, headers: { "content-type": "text/html", "retry-after": "0" } });
    });
    const admin = createClient({ baseUrl: stack.url, apiKey: ADMIN.key, fetch: spy.fetch, retry: { baseDelayMs: 1 } });
    const failed = await thrown(admin.deadJobs.retry({ queue: "email", jobId: "whatever" }));
    expect(failed).toMatchObject({ code: "UNAVAILABLE", status: 503, attempts: 1, problem: undefined });
    expect(spy.seen).toHaveLength(1);
  });

  it("refuses at once, echoing no secret and retrying nothing, options that fetch could never send", async () => {
    expect(() => createClient({ baseUrl: stack.url, apiKey: "sk_live_SECRET\nX" })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: stack.url, apiKey: "sk_live_SECRET\nX" })).not.toThrow(/SECRET/);
    expect(() => createClient({ baseUrl: "http://ops:hunter2@127.0.0.1:1" })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: "http://ops:hunter2@127.0.0.1:1" })).not.toThrow(/hunter2/);
    expect(() => createClient({ baseUrl: "not-a-url" })).toThrow(/baseUrl/);
    const spy = recordingFetch();
    const bad = await thrown(clientFor(stack, { fetch: spy.fetch }).jobs.email.create(email("bad key"), { idempotencyKey: "bad key \u0001" }));
    expect(bad).toMatchObject({ code: "VALIDATION_FAILED", status: undefined });
    expect(spy.seen).toHaveLength(0);
  });

  it("cancels before the first attempt when the signal has already fired", async () => {
    const spy = recordingFetch();
    const aborted = await thrown(clientFor(stack, { fetch: spy.fetch }).jobs.email.create(email("never"), { signal: AbortSignal.abort() }));
    expect(aborted).toMatchObject({ code: "ABORTED", status: undefined });
    expect(spy.seen).toHaveLength(0);
  });
});

describe("batching", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON } });
  });
  afterAll(() => stack.close());

  it("sends the keyless calls of one tick as one request and each create alone with its own key", async () => {
    const spy = recordingFetch();
    const client = clientFor(stack, { fetch: spy.fetch, batch: true });
    const created = await Promise.all([client.jobs.email.create(email("batch-a")), client.jobs.email.create(email("batch-b"))]);
    expect(spy.seen.map((request) => request.procedure)).toEqual(["jobs.email.create", "jobs.email.create"]);
    expect(new Set(spy.seen.map((request) => request.idempotencyKey)).size).toBe(2);
    expect(created[0].jobId).not.toBe(created[1].jobId);

    spy.seen.length = 0;
    const [first, second, missing] = await Promise.allSettled([
      client.jobs.status({ queue: "email", jobId: created[0].jobId }),
      client.jobs.status({ queue: "email", jobId: created[1].jobId }),
      client.jobs.status({ queue: "email", jobId: "no-such-job" }),
    ]);
    // One HTTP request for the three queries; each answers (or fails) on its own.
    expect(spy.seen).toHaveLength(1);
    expect(spy.seen[0]!.procedure).toBe("jobs.status,jobs.status,jobs.status");
    expect(spy.seen[0]!.idempotencyKey).toBeNull();
    expect(first).toMatchObject({ status: "fulfilled", value: { jobId: created[0].jobId, state: "waiting" } });
    expect((first as PromiseFulfilledResult<{ createdAt: Date }>).value.createdAt).toBeInstanceOf(Date);
    expect(second).toMatchObject({ status: "fulfilled", value: { jobId: created[1].jobId } });
    expect(missing.status).toBe("rejected");
    expect((missing as PromiseRejectedResult).reason).toMatchObject({ code: "NOT_FOUND", status: 404 });
  });

  it("rejects a batched call whose own signal fired, though its batch answered", async () => {
    const client = clientFor(stack, { batch: true });
    const controller = new AbortController();
    const aborted = client.health.get({ signal: controller.signal }).catch((error: unknown) => error);
    const other = client.health.get();
    controller.abort();
    expect(await aborted).toMatchObject({ code: "ABORTED" });
    expect((await other).status).toBe("ok");
  });

  it("splits a batch whose URL would pass the server's header limit, so each call still answers on its own", async () => {
    const spy = recordingFetch();
    const admin = createClient({ baseUrl: stack.url, apiKey: ADMIN.key, fetch: spy.fetch, batch: true, retry: { attempts: 1 } });
    // Each alone is about 2 kB of URL; eight in one would be over 16 KiB.
    const answers = await Promise.allSettled(Array.from({ length: 8 }, () => admin.deadJobs.list({ queue: "email", q: "é".repeat(200), userId: "ü".repeat(128) })));
    expect(answers.map((answer) => (answer.status === "rejected" ? (answer.reason as TaskgateError).code : "ok"))).toEqual(Array.from({ length: 8 }, () => "ok"));
    expect(spy.seen.length).toBeGreaterThan(1);
  });

  it("gives each batched call its own wait, not the batch's Retry-After", async () => {
    const problemOf = (code: string, status: number, extra: object) => ({ error: { json: { message: code, code: -32000, data: { code, httpStatus: status, problem: { type: "x", title: code, status, detail: code, code, requestId: "r", ...extra } } } } });
    const fake: typeof fetch = async () =>
      new Response(JSON.stringify([problemOf("RATE_LIMITED", 429, { retryAfterMs: 2988 }), problemOf("NOT_FOUND", 404, {})]), { status: 429, headers: { "content-type": "application/json", "retry-after": "40" } });
    const client = createClient({ baseUrl: stack.url, fetch: fake, batch: true, retry: { attempts: 1 } });
    const [limited, missing] = await Promise.all([
      thrown(client.jobs.status({ queue: "email", jobId: "a" })),
      thrown(client.jobs.status({ queue: "email", jobId: "b" })),
    ]);
    expect(limited).toMatchObject({ code: "RATE_LIMITED", retryAfterMs: 3000 });
    expect(missing).toMatchObject({ code: "NOT_FOUND", retryAfterMs: undefined });
  });

  it("splits more calls than maxItems into several requests, and refuses a maxItems that is not a positive integer", async () => {
    const spy = recordingFetch();
    const client = clientFor(stack, { fetch: spy.fetch, batch: { maxItems: 2 } });
    await Promise.all(Array.from({ length: 5 }, () => client.health.get()));
    expect(spy.seen.map((request) => request.procedure.split(",").length)).toEqual([2, 2, 1]);
    expect(() => clientFor(stack, { batch: { maxItems: 0 } })).toThrow(RangeError);
  });
});

describe("retries on 409 in flight", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON } });
  });
  afterAll(() => stack.close());

  it("waits out a request in flight with the same key (409, Retry-After 1) and then makes one job", async () => {
    const input = email("in flight");
    const record = { scope: USER_A.userId, route: "POST /jobs/email", key: "in-flight-1" };
    // Another request holds the key, as if it were still enqueueing.
    const claim = await stack.api.deps.idempotency.claim({ ...record, fingerprint: fingerprint(emailJobInput.parse(input)) });
    if (claim.kind !== "claimed") throw new Error(`claim: ${claim.kind}`);
    const retries: RetryEvent[] = [];
    const client = clientFor(stack, {
      retry: {
        onRetry: (event) => {
          retries.push(event);
          // The other request fails and lets go of the key while this one waits.
          void stack.api.deps.idempotency.release({ ...record, token: claim.token });
        },
      },
    });
    const created = await client.jobs.email.create(input, { idempotencyKey: record.key });
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toMatchObject({ code: "IDEMPOTENCY_KEY_IN_USE", status: 409, retryAfterMs: 1000 });
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(1000);
    expect(await waitingJobs(stack)).toBe(1);
    expect((await stack.api.deps.queues.email.getJob(created.jobId))?.data).toMatchObject({ email: { subject: "in flight" } });
  });
});

describe("retries on 429", () => {
  let stack: TestStack;
  beforeAll(async () => {
    const rules = [
      { name: "create-1-per-s", key: "user", limit: 1, windowMs: 1000, routes: ["POST /jobs/email"] },
      { name: "status-1-per-min", key: "user", limit: 1, windowMs: 60_000, routes: ["GET /jobs/status/*"] },
    ];
    stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify(rules) } });
  });
  afterAll(() => stack.close());
  afterEach(async () => {
    // Let the 1-per-second window empty before the next test.
    await sleep(1100);
  });

  it("retries a rate-limited create after Retry-After and succeeds, one job per call", async () => {
    const retries: RetryEvent[] = [];
    const spy = recordingFetch();
    const client = clientFor(stack, { fetch: spy.fetch, retry: { onRetry: (event) => retries.push(event) } });
    const before = await waitingJobs(stack);
    const first = await client.jobs.email.create(email("first"));
    const second = await client.jobs.email.create(email("second"));
    expect(second.jobId).not.toBe(first.jobId);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toMatchObject({ code: "RATE_LIMITED", status: 429, retryAfterMs: 1000 });
    expect(retries[0]!.error.problem).toMatchObject({ rule: "create-1-per-s", limit: 1, windowMs: 1000 });
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(1000);
    expect(spy.seen.map((request) => request.status)).toEqual([200, 429, 200]);
    expect(spy.seen[1]!.idempotencyKey).toBe(spy.seen[2]!.idempotencyKey);
    expect(await waitingJobs(stack)).toBe(before + 2);
  });

  it("gives up at once when Retry-After is longer than maxDelayMs, reporting retryAfterMs", async () => {
    const client = clientFor(stack, { retry: { maxDelayMs: 5000 } });
    const { jobId } = await client.jobs.email.create(email("status target"));
    await client.jobs.status({ queue: "email", jobId });
    const limited = await thrown(client.jobs.status({ queue: "email", jobId }));
    expect(limited).toMatchObject({ code: "RATE_LIMITED", status: 429, attempts: 1, requestId: expect.any(String) });
    expect(limited.retryAfterMs).toBeGreaterThan(5000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("cancels a pending retry with the caller's AbortSignal", async () => {
    const controller = new AbortController();
    const spy = recordingFetch();
    const client = clientFor(stack, { fetch: spy.fetch, retry: { onRetry: () => controller.abort() } });
    const before = await waitingJobs(stack);
    await client.jobs.email.create(email("admitted"));
    const aborted = await thrown(client.jobs.email.create(email("cancelled"), { signal: controller.signal }));
    expect(aborted).toMatchObject({ code: "ABORTED", attempts: 1 });
    expect(aborted.cause).toMatchObject({ code: "RATE_LIMITED" });
    expect(spy.seen.map((request) => request.status)).toEqual([200, 429]);
    expect(await waitingJobs(stack)).toBe(before + 1);
  });
});
