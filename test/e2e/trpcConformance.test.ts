/**
 * The tRPC wire format is tRPC's, whoever serves it: every procedure, its success and each error
 * class, through the real `@trpc/client` (`httpLink` and `httpBatchLink`, superjson) against an
 * API with the fast path (http/trpcFastPath.ts) and one without it (tRPC's own adapter only),
 * and compared with what the REST alias answers for the same call.
 *
 * Each case prepares its own state anew for every transport (a dead job to retry, a scheduled
 * job to cancel), so the five runs see the same situation; what differs by nature (ids,
 * request ids, times, versions) is masked before comparing.
 */
import { createTRPCUntypedClient, httpBatchLink, httpBatchStreamLink, httpLink, TRPCClientError, type TRPCLink } from "@trpc/client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proceduresOf, routerShape, type AppRouter } from "@taskgate/server";
import { makeDeadJobs } from "#test-support/deadJobs.js";
import { keysMatching, testConnection, type TestRedis } from "#test-support/redis.js";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, USER_B, type TestStack } from "#test-support/stack.js";

const TIGHT_RULE = { name: "status-tight", key: "user", limit: 2, windowMs: 60_000, routes: ["GET /jobs/status/:queue/:jobId"] };
const env = { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify([TIGHT_RULE]) };

let fast: TestStack;
let adapter: TestStack;
let redis: TestRedis;
/** Every id a preparation made, in any case: later answers (the audit log) may name earlier ones. */
const volatile: string[] = [];
beforeAll(async () => {
  [fast, adapter] = await Promise.all([startStack({ worker: false, env }), startStack({ worker: false, env, apiOptions: { trpcFastPath: false } })]);
  redis = testConnection();
});
afterAll(async () => {
  await Promise.all([fast?.close(), adapter?.close()]);
  await redis?.quit();
});

type Kind = "query" | "mutation";

/** One call as a case describes it, after its preparation. */
interface Prepared {
  input?: unknown;
  /** The REST alias's request for the same call. */
  rest: { method: string; path: string; body?: unknown };
  /** Values (job ids) that differ between runs by nature, masked before comparing. */
  volatile?: string[];
  idempotencyKey?: string;
}

interface Case {
  name: string;
  path: string;
  kind: Kind;
  key?: string | undefined;
  prepare(stack: TestStack): Promise<Prepared> | Prepared;
  /** tRPC's `data.code` expected, or "ok". */
  expect: string;
}

/** What one transport answered, in comparable form. */
interface Answer {
  ok: boolean;
  status: number;
  /** Success: the output; failure: the error shape's `message` and `data` (tRPC) or the problem (REST). */
  body: unknown;
  headers: Record<string, string | null>;
}

const COMPARED_HEADERS = ["content-type", "retry-after", "idempotent-replayed", "vary", "ratelimit-policy", "ratelimit", "x-content-type-options", "cache-control"];

const scheduledIn = (stack: TestStack, key: string, subject: string) =>
  stack
    .request("POST", "/jobs/email/schedule", { key, body: { to: "ann@example.com", subject, text: "x", delayMs: 3_600_000 } })
    .then(async (res) => ((await res.json()) as { jobId: string }).jobId);

const email = { to: "ann@example.com", subject: "conformance", text: "hello" };

const CASES: Case[] = [
  { name: "health", path: "health.get", kind: "query", prepare: () => ({ rest: { method: "GET", path: "/health" } }), expect: "ok" },
  {
    name: "create",
    path: "jobs.email.create",
    kind: "mutation",
    key: USER_A.key,
    prepare: () => ({ input: email, rest: { method: "POST", path: "/jobs/email", body: email } }),
    expect: "ok",
  },
  {
    name: "create, invalid",
    path: "jobs.email.create",
    kind: "mutation",
    key: USER_A.key,
    prepare: () => ({ input: { to: "nope", subject: "" }, rest: { method: "POST", path: "/jobs/email", body: { to: "nope", subject: "" } } }),
    expect: "BAD_REQUEST",
  },
  {
    name: "create, bad key",
    path: "jobs.email.create",
    kind: "mutation",
    key: "not-a-key-at-all-000000",
    prepare: () => ({ input: email, rest: { method: "POST", path: "/jobs/email", body: email } }),
    expect: "UNAUTHORIZED",
  },
  {
    name: "create, idempotency key reused with another body",
    path: "jobs.email.create",
    kind: "mutation",
    key: USER_A.key,
    prepare: async (stack) => {
      const idempotencyKey = `conf-${crypto.randomUUID()}`;
      await stack.request("POST", "/jobs/email", { key: USER_A.key, headers: { "idempotency-key": idempotencyKey }, body: email });
      const other = { ...email, subject: "another" };
      return { input: other, idempotencyKey, volatile: [idempotencyKey], rest: { method: "POST", path: "/jobs/email", body: other } };
    },
    expect: "UNPROCESSABLE_CONTENT",
  },
  {
    name: "create, replayed",
    path: "jobs.email.create",
    kind: "mutation",
    key: USER_A.key,
    prepare: async (stack) => {
      const idempotencyKey = `conf-${crypto.randomUUID()}`;
      const first = await stack.request("POST", "/jobs/email", { key: USER_A.key, headers: { "idempotency-key": idempotencyKey }, body: email });
      const { jobId } = (await first.json()) as { jobId: string };
      return { input: email, idempotencyKey, volatile: [idempotencyKey, jobId], rest: { method: "POST", path: "/jobs/email", body: email } };
    },
    expect: "ok",
  },
  {
    name: "schedule",
    path: "jobs.email.schedule",
    kind: "mutation",
    key: USER_A.key,
    prepare: () => {
      const input = { ...email, delayMs: 3_600_000 };
      return { input, rest: { method: "POST", path: "/jobs/email/schedule", body: input } };
    },
    expect: "ok",
  },
  {
    name: "reschedule",
    path: "jobs.email.reschedule",
    kind: "mutation",
    key: USER_A.key,
    prepare: async (stack) => {
      const jobId = await scheduledIn(stack, USER_A.key, "to move");
      return { input: { jobId, delayMs: 7_200_000 }, volatile: [jobId], rest: { method: "POST", path: `/jobs/email/${jobId}/reschedule`, body: { delayMs: 7_200_000 } } };
    },
    expect: "ok",
  },
  {
    name: "cancel",
    path: "jobs.cancel",
    kind: "mutation",
    key: USER_A.key,
    prepare: async (stack) => {
      const jobId = await scheduledIn(stack, USER_A.key, "to cancel");
      return { input: { queue: "email", jobId }, volatile: [jobId], rest: { method: "DELETE", path: `/jobs/email/${jobId}` } };
    },
    expect: "ok",
  },
  {
    name: "cancel, another owner's job",
    path: "jobs.cancel",
    kind: "mutation",
    key: USER_B.key,
    prepare: async (stack) => {
      const jobId = await scheduledIn(stack, USER_A.key, "not yours");
      return { input: { queue: "email", jobId }, volatile: [jobId], rest: { method: "DELETE", path: `/jobs/email/${jobId}` } };
    },
    expect: "NOT_FOUND",
  },
  {
    name: "cancel, a dead job (not pending)",
    path: "jobs.cancel",
    kind: "mutation",
    key: USER_A.key,
    prepare: async (stack) => {
      const [jobId] = await makeDeadJobs(stack, 1, "not-pending");
      return { input: { queue: "email", jobId }, volatile: [jobId!], rest: { method: "DELETE", path: `/jobs/email/${jobId}` } };
    },
    expect: "CONFLICT",
  },
  {
    name: "status",
    path: "jobs.status",
    kind: "query",
    key: USER_A.key,
    prepare: async (stack) => {
      await clearTightRule(stack);
      const jobId = await scheduledIn(stack, USER_A.key, "to read");
      return { input: { queue: "email", jobId }, volatile: [jobId], rest: { method: "GET", path: `/jobs/status/email/${jobId}` } };
    },
    expect: "ok",
  },
  {
    name: "status, rate limited",
    path: "jobs.status",
    kind: "query",
    key: USER_A.key,
    prepare: async (stack) => {
      await clearTightRule(stack);
      for (let i = 0; i < TIGHT_RULE.limit; i++) await stack.request("GET", "/jobs/status/email/spent", { key: USER_A.key });
      return { input: { queue: "email", jobId: "spent" }, rest: { method: "GET", path: "/jobs/status/email/spent" } };
    },
    expect: "TOO_MANY_REQUESTS",
  },
  {
    name: "dead jobs, list",
    path: "deadJobs.list",
    kind: "query",
    key: ADMIN.key,
    prepare: () => ({ input: { queue: "email", q: "never-such", limit: 5 }, rest: { method: "GET", path: "/dead-jobs/email?q=never-such&limit=5" } }),
    expect: "ok",
  },
  {
    name: "dead jobs, list as a user",
    path: "deadJobs.list",
    kind: "query",
    key: USER_A.key,
    prepare: () => ({ input: { queue: "email" }, rest: { method: "GET", path: "/dead-jobs/email" } }),
    expect: "FORBIDDEN",
  },
  {
    name: "dead job, get",
    path: "deadJobs.get",
    kind: "query",
    key: ADMIN.key,
    prepare: async (stack) => {
      const [jobId] = await makeDeadJobs(stack, 1, "get");
      return { input: { queue: "email", jobId }, volatile: [jobId!], rest: { method: "GET", path: `/dead-jobs/email/${jobId}` } };
    },
    expect: "ok",
  },
  {
    name: "dead job, get unknown",
    path: "deadJobs.get",
    kind: "query",
    key: ADMIN.key,
    prepare: () => ({ input: { queue: "email", jobId: "no-such-job" }, rest: { method: "GET", path: "/dead-jobs/email/no-such-job" } }),
    expect: "NOT_FOUND",
  },
  {
    name: "dead job, retry",
    path: "deadJobs.retry",
    kind: "mutation",
    key: ADMIN.key,
    prepare: async (stack) => {
      const [jobId] = await makeDeadJobs(stack, 1, "retry");
      return { input: { queue: "email", jobId }, volatile: [jobId!], rest: { method: "POST", path: `/dead-jobs/email/${jobId}/retry` } };
    },
    expect: "ok",
  },
  {
    name: "dead jobs, retry all (dry run)",
    path: "deadJobs.retryAll",
    kind: "mutation",
    key: ADMIN.key,
    prepare: () => {
      const input = { queue: "email", filter: { q: "never-such" }, dryRun: true };
      return { input, rest: { method: "POST", path: "/dead-jobs/email/retry", body: { filter: input.filter, dryRun: true } } };
    },
    expect: "ok",
  },
  {
    name: "dead jobs, delete many (dry run)",
    path: "deadJobs.deleteMany",
    kind: "mutation",
    key: ADMIN.key,
    prepare: () => {
      const input = { queue: "email", filter: { q: "never-such" }, dryRun: true };
      return { input, rest: { method: "POST", path: "/dead-jobs/email/delete", body: { filter: input.filter, dryRun: true } } };
    },
    expect: "ok",
  },
  {
    name: "dead job, delete",
    path: "deadJobs.delete",
    kind: "mutation",
    key: ADMIN.key,
    prepare: async (stack) => {
      const [jobId] = await makeDeadJobs(stack, 1, "delete");
      return { input: { queue: "email", jobId }, volatile: [jobId!], rest: { method: "DELETE", path: `/dead-jobs/email/${jobId}` } };
    },
    expect: "ok",
  },
  {
    name: "dead jobs, an unknown queue",
    path: "deadJobs.list",
    kind: "query",
    key: ADMIN.key,
    prepare: () => ({ input: { queue: "__proto__" }, rest: { method: "GET", path: "/dead-jobs/__proto__" } }),
    expect: "NOT_FOUND",
  },
  { name: "policy, get", path: "rateLimits.policy.get", kind: "query", key: ADMIN.key, prepare: () => ({ rest: { method: "GET", path: "/rate-limits/policy" } }), expect: "ok" },
  {
    name: "policy, set with a stale version",
    path: "rateLimits.policy.set",
    kind: "mutation",
    key: ADMIN.key,
    prepare: () => {
      const input = { rules: [TIGHT_RULE], expectedVersion: 999_999 };
      return { input, rest: { method: "PUT", path: "/rate-limits/policy", body: input } };
    },
    expect: "CONFLICT",
  },
  {
    name: "policy, set an invalid rule set",
    path: "rateLimits.policy.set",
    kind: "mutation",
    key: ADMIN.key,
    prepare: () => {
      const input = { rules: [{ name: "", key: "nobody", limit: -1, windowMs: 0 }] };
      return { input, rest: { method: "PUT", path: "/rate-limits/policy", body: input } };
    },
    expect: "BAD_REQUEST",
  },
  {
    name: "override, set",
    path: "rateLimits.overrides.set",
    kind: "mutation",
    key: ADMIN.key,
    prepare: () => {
      const input = { rule: TIGHT_RULE.name, identity: "user:conformance-user", limit: 5 };
      return { input, rest: { method: "PUT", path: "/rate-limits/overrides", body: input } };
    },
    expect: "ok",
  },
  {
    name: "override, delete",
    path: "rateLimits.overrides.delete",
    kind: "mutation",
    key: ADMIN.key,
    prepare: async (stack) => {
      const input = { rule: TIGHT_RULE.name, identity: "user:doomed-user" };
      await stack.request("PUT", "/rate-limits/overrides", { key: ADMIN.key, body: { ...input, limit: 3 } });
      return { input, rest: { method: "DELETE", path: `/rate-limits/overrides/${TIGHT_RULE.name}/user:doomed-user` } };
    },
    expect: "ok",
  },
  { name: "audit", path: "monitoring.audit", kind: "query", key: ADMIN.key, prepare: () => ({ input: { limit: 1 }, rest: { method: "GET", path: "/monitoring/audit?limit=1" } }), expect: "ok" },
  {
    name: "blocked log",
    path: "monitoring.blocked",
    kind: "query",
    key: ADMIN.key,
    prepare: () => ({ input: { limit: 1, ip: "192.0.2.1" }, rest: { method: "GET", path: "/monitoring/rate-limits/blocked?limit=1&ip=192.0.2.1" } }),
    expect: "ok",
  },
  { name: "queues", path: "monitoring.queues", kind: "query", key: ADMIN.key, prepare: () => ({ rest: { method: "GET", path: "/monitoring/queues" } }), expect: "ok" },
  {
    name: "request metrics, a bad bucket",
    path: "monitoring.requestMetrics",
    kind: "query",
    key: ADMIN.key,
    prepare: () => ({ input: { bucket: "fortnight" }, rest: { method: "GET", path: "/metrics/requests?bucket=fortnight" } }),
    expect: "BAD_REQUEST",
  },
  {
    name: "blocked metrics",
    path: "monitoring.blockedMetrics",
    kind: "query",
    key: ADMIN.key,
    prepare: () => ({ input: { bucket: "hour" }, rest: { method: "GET", path: "/metrics/blocked?bucket=hour" } }),
    expect: "ok",
  },
];

/** Starts the tight rule's window afresh for every identity (each run must find the same budget). */
async function clearTightRule(stack: TestStack): Promise<void> {
  const keys = await keysMatching(redis, `${stack.prefix}*${TIGHT_RULE.name}*`);
  for (const key of keys) await redis.del(key);
}

/** A fetch that keeps the last response's status and headers for the comparison. */
function recordingFetch() {
  const seen: { status: number; headers: Headers }[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    seen.push({ status: response.status, headers: response.headers });
    return response;
  };
  return { fetchImpl, last: () => seen.at(-1)! };
}

function headersOf(headers: Headers): Record<string, string | null> {
  return Object.fromEntries(COMPARED_HEADERS.map((name) => [name, headers.get(name)]));
}

/** Runs one call through `@trpc/client` with the given link; a batch link sends a second call along in the same request. */
async function viaTrpc(stack: TestStack, testCase: Case, prepared: Prepared, batched: boolean): Promise<Answer> {
  const recorder = recordingFetch();
  const headers = () => ({
    ...(testCase.key ? { authorization: `Bearer ${testCase.key}` } : {}),
    ...(prepared.idempotencyKey ? { "idempotency-key": prepared.idempotencyKey } : {}),
  });
  const options = { url: `${stack.url}/trpc`, transformer: superjson, fetch: recorder.fetchImpl, headers };
  const link: TRPCLink<AppRouter> = batched ? httpBatchLink(options) : httpLink(options);
  const client = createTRPCUntypedClient<AppRouter>({ links: [link] });
  const call = () => (testCase.kind === "query" ? client.query(testCase.path, prepared.input) : client.mutation(testCase.path, prepared.input));
  // The companion: a query batched with health, a mutation with an invalid call of itself (refused before any work).
  const companion = () => (testCase.kind === "query" ? client.query("health.get") : client.mutation(testCase.path, { "not-a-field": true }));
  const [main, other] = await Promise.allSettled(batched ? [call(), companion()] : [call()]);
  if (batched) expect(other, "the batched companion call answers too").toBeDefined();
  const { status, headers: responseHeaders } = recorder.last();
  if (main!.status === "fulfilled") return { ok: true, status, body: main!.value, headers: headersOf(responseHeaders) };
  const error = main!.reason as unknown;
  if (!(error instanceof TRPCClientError)) throw error;
  const shape = error.shape as { message: string; code: number; data: Record<string, unknown> };
  return { ok: false, status, body: { message: shape.message, code: shape.code, data: shape.data }, headers: headersOf(responseHeaders) };
}

async function viaRest(stack: TestStack, testCase: Case, prepared: Prepared): Promise<Answer> {
  const res = await stack.request(prepared.rest.method, prepared.rest.path, {
    ...(testCase.key ? { key: testCase.key } : {}),
    ...(prepared.rest.body === undefined ? {} : { body: prepared.rest.body }),
    headers: prepared.idempotencyKey ? { "idempotency-key": prepared.idempotencyKey } : {},
  });
  const text = await res.text();
  return { ok: res.ok, status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: headersOf(res.headers) };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;
/** Fields whose values differ between runs by nature. */
const VOLATILE_FIELDS = new Set(["requestId", "version", "currentVersion", "expectedVersion", "uptimeSeconds", "uptimeMs", "latencyMs", "nextCursor", "counts", "total", "waiting", "delayed", "byRoute", "byRule", "retryAfterMs", "resetMs"]);

/** Masks what differs between runs by nature; dates become their ISO text first, as JSON sends them. */
function mask(value: unknown, volatile: readonly string[]): unknown {
  const json: unknown = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  const walk = (node: unknown, field?: string): unknown => {
    if (field !== undefined && VOLATILE_FIELDS.has(field)) return "<volatile>";
    if (typeof node === "string") {
      // A 429's wait is in its text too ("Retry in 58 s."), and is as volatile as retryAfterMs:
      // one run may cross a second boundary that another does not.
      let text = node.replace(ISO_TIME, "<time>").replace(UUID, "<uuid>").replace(/\bRetry in \d+ s\b/g, "Retry in <wait> s");
      // Whole tokens only: BullMQ's ids are small numbers that also occur inside other text.
      for (const id of volatile) text = text.replace(new RegExp(`(?<![\\w-])${id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`, "g"), "<id>");
      return text;
    }
    if (typeof node === "number") return node > 1e9 ? "<time>" : node;
    if (Array.isArray(node)) return node.map((item) => walk(item));
    if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, key)]));
    return node;
  };
  return walk(json);
}

/** Header values compared by shape: the counts inside RateLimit headers differ between runs. */
function maskHeaders(headers: Record<string, string | null>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, name.startsWith("ratelimit") ? (value?.replace(/\d+/g, "#") ?? null) : value]));
}

describe("tRPC conformance: fast path, tRPC's adapter and the REST alias agree", () => {
  it("covers every procedure of the router", () => {
    expect(new Set(CASES.map((testCase) => testCase.path))).toEqual(new Set(proceduresOf(routerShape()).map((procedure) => procedure.path)));
  });

  it.each(CASES.map((testCase) => [testCase.name, testCase] as const))("%s", async (_name, testCase) => {
    const runs: Record<string, Answer> = {};
    const run = async (label: string, stack: TestStack, send: (prepared: Prepared) => Promise<Answer>) => {
      const prepared = await testCase.prepare(stack);
      runs[label] = await send(prepared);
      volatile.push(...(prepared.volatile ?? []));
    };
    await run("httpLink, fast path", fast, (prepared) => viaTrpc(fast, testCase, prepared, false));
    await run("httpLink, tRPC adapter", adapter, (prepared) => viaTrpc(adapter, testCase, prepared, false));
    await run("httpBatchLink, fast path", fast, (prepared) => viaTrpc(fast, testCase, prepared, true));
    await run("httpBatchLink, tRPC adapter", adapter, (prepared) => viaTrpc(adapter, testCase, prepared, true));
    await run("REST alias", fast, (prepared) => viaRest(fast, testCase, prepared));

    const single = runs["httpLink, fast path"]!;
    // The expected outcome, so a case cannot pass by every transport failing alike.
    if (testCase.expect === "ok") expect(single.ok, JSON.stringify(single.body)).toBe(true);
    else expect((single.body as { data: { code: string } }).data.code).toBe(testCase.expect);

    const comparable = (answer: Answer) => ({ ok: answer.ok, status: answer.status, body: mask(answer.body, volatile), headers: maskHeaders(answer.headers) });
    expect(comparable(runs["httpLink, tRPC adapter"]!), "httpLink: adapter vs fast path").toEqual(comparable(single));
    expect(comparable(runs["httpBatchLink, tRPC adapter"]!), "httpBatchLink: adapter vs fast path").toEqual(comparable(runs["httpBatchLink, fast path"]!));
    expect(mask(runs["httpBatchLink, fast path"]!.body, volatile), "a call answers the same batched or not").toEqual(mask(single.body, volatile));

    // The REST alias: the same output, or the same problem with the status tRPC's error carries.
    const rest = runs["REST alias"]!;
    if (single.ok) {
      expect(rest.ok, JSON.stringify(rest.body)).toBe(true);
      if (rest.body !== undefined) expect(mask(rest.body, volatile)).toEqual(mask(single.body, volatile));
    } else {
      const data = (single.body as { data: { httpStatus: number; problem: unknown } }).data;
      expect(rest.status).toBe(data.httpStatus);
      expect(single.status).toBe(data.httpStatus);
      expect(mask(rest.body, volatile)).toEqual(mask(data.problem, volatile));
      expect(rest.headers["retry-after"]).toBe(single.headers["retry-after"]);
    }
  });
});

describe("tRPC conformance on the wire", () => {
  const raw = (stack: TestStack, path: string, init: RequestInit = {}) => fetch(`${stack.url}/trpc/${path}`, init);
  const shapeOf = async (res: Response) => ({ status: res.status, allow: res.headers.get("allow"), type: res.headers.get("content-type"), body: mask(await res.json(), []) });

  it.each([
    ["an unknown procedure", "jobs.nothing", {}],
    ["a query sent as POST", "health.get", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
    ["a mutation sent as GET", "jobs.email.create", {}],
    ["JSON that does not parse", "jobs.email.create", { method: "POST", headers: { "content-type": "application/json" }, body: '{"json":' }],
    ["a batch that is not an object", "jobs.status,jobs.status?batch=1&input=5", { method: "GET", headers: { authorization: `Bearer ${USER_A.key}` } }],
    ["a body over the limit", "jobs.email.create", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` }, body: JSON.stringify({ json: { ...email, text: "x".repeat(101_000) } }) }],
    ["a superjson body with a broken meta", "jobs.email.create", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` }, body: JSON.stringify({ json: email, meta: { values: { to: ["nonsense"] } } }) }],
  ] as const)("answers %s as tRPC's adapter does", async (_name, path, init) => {
    const [a, b] = await Promise.all([raw(fast, path, init as RequestInit), raw(adapter, path, init as RequestInit)]);
    const [left, right] = await Promise.all([shapeOf(a), shapeOf(b)]);
    expect(left).toEqual(right);
    expect(left.status).toBeGreaterThanOrEqual(400);
    expect(left.status).toBeLessThan(500);
  });

  it("answers a batched GET of queries with one result per call, in order", async () => {
    const input = encodeURIComponent(JSON.stringify({ 1: { json: { queue: "email", jobId: "nope" } } }));
    const res = await raw(fast, `health.get,jobs.status?batch=1&input=${input}`, { headers: { authorization: `Bearer ${USER_B.key}` } });
    const body = (await res.json()) as Array<{ result?: unknown; error?: { json: { data: { code: string } } } }>;
    expect(res.status).toBe(207);
    expect(body).toHaveLength(2);
    expect(body[0]!.result).toBeDefined();
    expect(body[1]!.error!.json.data.code).toBe("NOT_FOUND");
  });
});

describe("which path serves what", () => {
  // The fast path answers with a Content-Length; tRPC's adapter streams its body (chunked), which
  // is how this test tells them apart from outside.
  const framing = (res: Response) => (res.headers.get("content-length") !== null ? "fast path" : "tRPC adapter");

  it("serves what @trpc/client's links send on the fast path, and the rest through tRPC's adapter", async () => {
    const recorded: Response[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      recorded.push(response.clone());
      return response;
    };
    const links = [httpLink, httpBatchLink] as const;
    for (const makeLink of links) {
      const client = createTRPCUntypedClient<AppRouter>({ links: [makeLink({ url: `${fast.url}/trpc`, transformer: superjson, fetch: fetchImpl, headers: { authorization: `Bearer ${USER_A.key}` } })] });
      await client.mutation("jobs.email.create", email);
      await client.query("health.get");
    }
    expect(recorded.map(framing)).toEqual(["fast path", "fast path", "fast path", "fast path"]);
    // Through the adapter: an unknown procedure, and the same call on the stack without the fast path.
    expect(framing(await fetch(`${fast.url}/trpc/jobs.nothing`))).toBe("tRPC adapter");
    expect(framing(await fetch(`${adapter.url}/trpc/health.get`))).toBe("tRPC adapter");
  });

  it("leaves to tRPC's adapter what it would answer otherwise: jsonl streaming, connection parameters, a GET's foreign body type", async () => {
    // httpBatchStreamLink asking for its stream with `Accept: application/jsonl`.
    const streaming = createTRPCUntypedClient<AppRouter>({ links: [httpBatchStreamLink({ url: `${fast.url}/trpc`, transformer: superjson, streamHeader: "accept" })] });
    expect(await streaming.query("health.get")).toMatchObject({ status: expect.any(String) });
    const same = async (path: string, init?: RequestInit) => {
      const [viaFast, viaAdapter] = await Promise.all([fetch(`${fast.url}${path}`, init), fetch(`${adapter.url}${path}`, init)]);
      expect(framing(viaFast)).toBe("tRPC adapter");
      expect(viaFast.status).toBe(viaAdapter.status);
      return viaFast.status;
    };
    expect(await same("/trpc/health.get?connectionParams=zz")).toBe(400);
    expect(await same("/trpc/health.get", { headers: { "content-type": "application/octet-stream" } })).toBe(405);
  });
});
