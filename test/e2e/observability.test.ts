import { Writable } from "node:stream";
import { createTRPCClient, httpLink } from "@trpc/client";
import { pino } from "pino";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "@taskgate/server";
import { connectTestRedis, keysMatching, randomPrefix } from "#test-support/redis.js";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, USER_B, type TestStack } from "#test-support/stack.js";
import { pollUntil, sleep } from "#test-support/time.js";
import { rawExchange } from "#test-support/rawHttp.js";

const EMAIL_ROUTE = "POST /jobs/email";
const STATUS_ROUTE = "GET /jobs/status/:queue/:jobId";
const TIGHT_RULES = JSON.stringify([{ name: "tight", key: "ip", limit: 2, windowMs: 60_000, routes: [EMAIL_ROUTE] }]);
const valid = { to: "a@example.com", subject: "Hello", text: "Body" };

interface Series {
  bucket: string;
  series: Array<{ start: string; total: number; byRoute: Record<string, number>; byStatus?: Record<string, number>; byRule?: Record<string, number> }>;
}
interface BlockedEntry {
  at: string;
  requestId: string;
  ip: string;
  userId: string | null;
  route: string;
  rule: string;
  limit: number;
  windowMs: number;
  retryAfterMs: number;
}

function trpc(stack: TestStack, key: string) {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${stack.url}/trpc`, transformer: superjson, headers: { authorization: `Bearer ${key}` } })] });
}

async function getJson<T>(stack: TestStack, path: string, key = ADMIN.key): Promise<T> {
  const res = await stack.request("GET", path, { key });
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

function sum(series: Series["series"], pick: (bucket: Series["series"][number]) => number | undefined): number {
  return series.reduce((total, bucket) => total + (pick(bucket) ?? 0), 0);
}

/**
 * Parses the Prometheus text format strictly enough to catch a malformed exposition: every
 * line is a `# HELP`/`# TYPE` comment or `name{labels} value`. Returns samples by `name{labels}`.
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      expect(line, "comment line").toMatch(/^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$/);
      continue;
    }
    const match = sample.exec(line);
    expect(match, `sample line: ${line}`).not.toBeNull();
    const value = Number(match![3]);
    // Prometheus reads values with Go's ParseFloat, which takes NaN in any case: prom-client
    // writes "Nan" (e.g. the event-loop lag before its first sample).
    expect(Number.isNaN(value) && !/^nan$/i.test(match![3]!), `value of ${line}`).toBe(false);
    samples.set(`${match![1]}${match![2] ?? ""}`, value);
  }
  return samples;
}

describe("counters and the blocked log across two API processes sharing one Redis", () => {
  const prefix = randomPrefix();
  let a: TestStack;
  let b: TestStack;
  const startedAt = Date.now();
  const blockedIds: string[] = [];
  const idempotencyKey = `obs-${prefix}`;

  beforeAll(async () => {
    const env = { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: TIGHT_RULES };
    a = await startStack({ prefix, worker: false, env });
    b = await startStack({ prefix, worker: false, env });
    // The scripted mix, all on POST /jobs/email: 2 accepted, 3 denied by the shared ip rule, 3 invalid.
    const first = await a.request("POST", "/jobs/email", { key: USER_A.key, body: valid, headers: { "idempotency-key": idempotencyKey } });
    expect(first.status).toBe(202);
    await trpc(b, USER_B.key).jobs.email.create.mutate(valid);
    for (const [stack, key] of [[a, USER_A.key], [b, USER_B.key]] as const) {
      const res = await stack.request("POST", "/jobs/email", { key, body: valid });
      expect(res.status).toBe(429);
      blockedIds.push(res.headers.get("x-request-id")!);
    }
    const denied = await fetch(`${b.url}/trpc/jobs.email.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${USER_B.key}`, "x-request-id": `trpc-denied-${prefix}` },
      body: JSON.stringify({ json: valid }),
    });
    expect(denied.status).toBe(429);
    blockedIds.push(`trpc-denied-${prefix}`);
    expect((await a.request("POST", "/jobs/email", { key: USER_A.key, body: { ...valid, to: "nope" } })).status).toBe(400);
    expect((await b.request("POST", "/jobs/email", { key: USER_B.key, body: { subject: "" } })).status).toBe(400);
    await expect(trpc(a, USER_A.key).jobs.email.create.mutate({ ...valid, to: "nope" })).rejects.toThrow();
    // And one 404, on another route, so exact codes of one class are told apart.
    expect((await a.request("GET", "/jobs/status/email/no-such-job", { key: USER_A.key })).status).toBe(404);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const requestsPath = () => `/metrics/requests?from=${new Date(startedAt - 60_000).toISOString()}`;

  it("counts every request by route template and exact status code, and both processes read the same totals", async () => {
    const counted = (m: Series) => sum(m.series, (s) => s.byRoute[EMAIL_ROUTE]) === 8 && sum(m.series, (s) => s.byRoute[STATUS_ROUTE]) === 1;
    const [fromA] = (await pollUntil(() => getJson<Series>(a, requestsPath()), counted)).slice(-1);
    expect(fromA!.bucket).toBe("minute");
    // 2 accepted (REST on A, tRPC on B) + 3 rate-limited + 3 invalid, the tRPC calls under their
    // alias, and the one unknown job: each under its own code, never a class.
    // The REST create answers 202; tRPC answers a mutation with 200 on its wire.
    expect(sum(fromA!.series, (s) => s.byStatus?.["202"])).toBe(1);
    expect(sum(fromA!.series, (s) => s.byStatus?.["429"])).toBe(3);
    expect(sum(fromA!.series, (s) => s.byStatus?.["400"])).toBe(3);
    expect(sum(fromA!.series, (s) => s.byStatus?.["404"])).toBe(1);
    for (const code of fromA!.series.flatMap((s) => Object.keys(s.byStatus ?? {}))) expect(code).toMatch(/^[1-5]\d\d$/);
    for (const bucket of fromA!.series) expect(sum([bucket], (s) => Object.values(s.byRoute).reduce((x, y) => x + y, 0))).toBe(bucket.total);
    // Route templates only, never raw URLs.
    for (const route of fromA!.series.flatMap((s) => Object.keys(s.byRoute))) expect(route).toMatch(/^(GET|POST) \/[a-zA-Z/:-]*$/);

    const fromB = await getJson<Series>(b, `/metrics/requests?from=${startedAt - 60_000}`);
    expect(sum(fromB.series, (s) => s.byRoute[EMAIL_ROUTE])).toBe(8);
    expect(sum(fromB.series, (s) => s.byStatus?.["429"])).toBe(3);
    expect(sum(fromB.series, (s) => s.byStatus?.["404"])).toBe(1);
    const viaTrpc = await trpc(b, ADMIN.key).monitoring.requestMetrics.query({ from: new Date(startedAt - 60_000) });
    expect(viaTrpc.series.reduce((total, bucket) => total + (bucket.byStatus["429"] ?? 0), 0)).toBe(3);
    expect(viaTrpc.series.reduce((total, bucket) => total + (bucket.byStatus["404"] ?? 0), 0)).toBe(1);
    // A flush writes the minute and the hour bucket as separate commands (on a cluster, to
    // different nodes side by side), so the hour may see a process's counts a moment later.
    const [hourly] = (await pollUntil(() => getJson<Series>(b, `/metrics/requests?bucket=hour&from=${startedAt - 3_600_000}`), (m) => sum(m.series, (s) => s.byRoute[EMAIL_ROUTE]) >= 8)).slice(-1);
    expect(hourly!.bucket).toBe("hour");
    expect(sum(hourly!.series, (s) => s.byRoute[EMAIL_ROUTE])).toBe(8);
  });

  it("returns every bucket of the range oldest first and answers 400 beyond the bound or for a bad time", async () => {
    const now = Date.now();
    const day = await getJson<Series>(a, `/metrics/requests?bucket=minute&from=${now - 23 * 3_600_000}&to=${now}`);
    expect(day.series.length).toBeGreaterThanOrEqual(23 * 60);
    const starts = day.series.map((s) => Date.parse(s.start));
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
    for (const path of [
      `/metrics/requests?bucket=minute&from=${new Date(now - 2 * 86_400_000).toISOString()}`,
      `/metrics/blocked?bucket=hour&from=${now - 40 * 86_400_000}`,
      `/metrics/requests?from=${now}&to=${now - 60_000}`,
      "/metrics/requests?from=yesterday",
      "/metrics/requests?bucket=week",
      "/monitoring/rate-limits/blocked?limit=0",
      "/monitoring/rate-limits/blocked?since=2024-01-01T10:00:00",
      // Cursors Redis itself would refuse (nothing lies below 0-0; ids are 64-bit) or that are not ids.
      "/monitoring/rate-limits/blocked?cursor=0-0",
      "/monitoring/rate-limits/blocked?cursor=99999999999999999999-0",
      "/monitoring/rate-limits/blocked?cursor=1700000000000",
      "/monitoring/rate-limits/blocked?cursor=abc",
    ]) {
      const res = await a.request("GET", path, { key: ADMIN.key });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe("VALIDATION_FAILED");
    }
  });

  it("writes bucket keys that expire on their own", async () => {
    const redis = connectTestRedis();
    try {
      const keys = await keysMatching(redis, `${prefix}:metrics:*`);
      expect(keys.some((key) => key.includes(":requests:minute:"))).toBe(true);
      expect(keys.some((key) => key.includes(":requests:hour:"))).toBe(true);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        if (key.includes(":minute:")) expect(ttl, key).toBeLessThanOrEqual(48 * 3_600_000 + 60_000);
        else expect(ttl, key).toBeGreaterThan(48 * 3_600_000);
        expect(ttl, key).toBeLessThanOrEqual(30 * 86_400_000 + 3_600_000);
      }
    } finally {
      await redis.quit();
    }
  });

  it("lists exactly the 429s in the blocked log, newest first, with their fields, and filters them", async () => {
    const [page] = (await pollUntil(() => getJson<{ entries: BlockedEntry[] }>(a, "/monitoring/rate-limits/blocked?rule=tight&limit=10"), (p) => p.entries.length === 3)).slice(-1);
    const entries = page!.entries;
    expect(entries.map((e) => e.requestId).sort()).toEqual([...blockedIds].sort());
    const times = entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    for (const entry of entries) {
      expect(entry).toMatchObject({ ip: "127.0.0.1", route: EMAIL_ROUTE, rule: "tight", limit: 2, windowMs: 60_000 });
      expect(entry.retryAfterMs).toBeGreaterThan(0);
      expect(["user-a", "user-b"]).toContain(entry.userId);
    }

    const blocked = (query: string) => getJson<{ entries: BlockedEntry[] }>(b, `/monitoring/rate-limits/blocked?${query}`).then((p) => p.entries);
    expect((await blocked("userId=user-b")).map((e) => e.requestId).sort()).toEqual(blockedIds.slice(1).sort());
    expect(await blocked("limit=1")).toEqual([entries[0]]);
    expect(await blocked(`route=${encodeURIComponent(EMAIL_ROUTE)}`)).toHaveLength(3);
    expect(await blocked(`route=${encodeURIComponent("GET /health")}`)).toHaveLength(0);
    expect(await blocked("ip=10.0.0.1")).toHaveLength(0);
    expect(await blocked("rule=other")).toHaveLength(0);
    expect(await blocked(`since=${Date.now() + 60_000}`)).toHaveLength(0);
    expect(await blocked(`until=${encodeURIComponent(new Date(startedAt - 1000).toISOString())}`)).toHaveLength(0);
    expect(await blocked(`since=${startedAt - 1000}&until=${Date.now() + 1000}`)).toHaveLength(3);
  });

  it("counts blocked requests by rule and route, and serves the same through tRPC with Dates", async () => {
    const [blocked] = (await pollUntil(() => getJson<Series>(b, `/metrics/blocked?from=${startedAt - 60_000}`), (m) => sum(m.series, (s) => s.total) === 3)).slice(-1);
    expect(sum(blocked!.series, (s) => s.byRule?.tight)).toBe(3);
    expect(sum(blocked!.series, (s) => s.byRoute[EMAIL_ROUTE])).toBe(3);

    const viaTrpc = await trpc(a, ADMIN.key).monitoring.blockedMetrics.query({ from: new Date(startedAt - 60_000), bucket: "hour" });
    expect(viaTrpc.series[0]!.start).toBeInstanceOf(Date);
    expect(viaTrpc.series.reduce((n, s) => n + (s.byRule.tight ?? 0), 0)).toBe(3);
    const log = await trpc(a, ADMIN.key).monitoring.blocked.query({ rule: "tight", since: startedAt - 1000 });
    expect(log.entries).toHaveLength(3);
    expect(log.entries[0]!.at).toBeInstanceOf(Date);
  });

  it("exposes Prometheus text with the named metrics, and the counters move as requests are made", async () => {
    const replay = await a.request("POST", "/jobs/email", { key: USER_A.key, body: valid, headers: { "idempotency-key": idempotencyKey } });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");

    const res = await a.request("GET", "/metrics", { key: ADMIN.key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const before = parsePrometheus(await res.text());
    expect(before.get(`http_requests_total{route="${EMAIL_ROUTE}",status="429"}`)).toBe(1);
    expect(before.get(`http_requests_total{route="${EMAIL_ROUTE}",status="202"}`)).toBe(2);
    expect(before.get(`http_request_duration_seconds_count{route="${EMAIL_ROUTE}",status_class="4xx"}`)).toBe(3);
    expect(before.get(`rate_limit_decisions_total{rule="tight",outcome="denied"}`)).toBe(1);
    expect(before.get(`rate_limit_decisions_total{rule="tight",outcome="allowed"}`)).toBe(1);
    expect(before.get(`idempotency_outcomes_total{outcome="new"}`)).toBe(1);
    expect(before.get(`idempotency_outcomes_total{outcome="replay"}`)).toBe(1);
    // Shared state: both accepted jobs wait (no worker here), whichever process accepted them.
    expect(before.get(`taskgate_queue_jobs{queue="email",state="waiting"}`)).toBe(2);
    expect(before.get(`taskgate_queue_jobs{queue="email",state="dead"}`)).toBe(0);
    expect([...before.keys()].some((name) => name.startsWith("process_cpu_user_seconds_total"))).toBe(true);

    const statusRoute = `http_requests_total{route="GET /jobs/status/:queue/:jobId",status="404"}`;
    const missing = await a.request("GET", "/jobs/status/email/no-such-job", { key: USER_A.key });
    expect(missing.status).toBe(404);
    await pollUntil(
      async () => parsePrometheus(await (await a.request("GET", "/metrics", { key: ADMIN.key })).text()).get(statusRoute) ?? 0,
      (n) => n === (before.get(statusRoute) ?? 0) + 1,
    );
  });

  it("is admin only: 401 without a key or with an unknown one, 403 for a user key", async () => {
    for (const path of ["/metrics", "/metrics/requests", "/metrics/blocked", "/monitoring/queues", "/monitoring/rate-limits/blocked"]) {
      const none = await a.request("GET", path);
      expect(none.status, path).toBe(401);
      expect(none.headers.get("content-type")).toContain("application/problem+json");
      expect(none.headers.get("www-authenticate")).toContain("Bearer");
      expect(((await none.json()) as { code: string }).code).toBe("UNAUTHORIZED");
      expect((await a.request("GET", path, { key: "not-a-key-0123456789" })).status, path).toBe(401);
      const user = await a.request("GET", path, { key: USER_A.key });
      expect(user.status, path).toBe(403);
      expect(((await user.json()) as { code: string; requestId: string }).requestId).toBe(user.headers.get("x-request-id"));
    }
    await expect(trpc(a, USER_A.key).monitoring.queues.query()).rejects.toThrow(/admin/);
  });
});

describe("queue monitoring and request tracing with a worker", () => {
  let smtp: TestSmtpServer;
  let stack: TestStack;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    smtp = await startTestSmtp({
      onRecipient: (address) => {
        if (address.startsWith("dead@")) return { code: 550, message: "5.1.1 user unknown" };
        if (address.startsWith("later@")) return { code: 451, message: "4.3.0 try again later" };
        return undefined;
      },
    });
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    stack = await startStack({
      logger: pino({ level: "info" }, capture),
      // A 10-minute backoff keeps the greylisted job retrying for the whole test.
      env: { SMTP_URL: smtp.url, API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: "[]", JOB_BACKOFF_MS: "600000", WORKER_METRICS_PORT: "0" },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await smtp?.close();
  });

  async function post(to: string, extra: object = {}) {
    const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { ...valid, to, ...extra } });
    expect(res.status).toBe(202);
    return { jobId: ((await res.json()) as { jobId: string }).jobId, requestId: res.headers.get("x-request-id")! };
  }
  const state = (jobId: string) => getJson<{ state: string }>(stack, `/jobs/status/email/${jobId}`).then((s) => s.state);

  it("follows one request id from the API log line to the worker's lines for its job and the mail's X-Request-Id", async () => {
    const { jobId, requestId } = await post("traced@example.com", { subject: "Traced" });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.parsed.headers.get("x-request-id")).toBe(requestId);

    await pollUntil(async () => lines.some((l) => l.jobId === jobId && l.msg === "email sent"), Boolean);
    const apiLine = lines.find((l) => l.msg === "request finished" && l.requestId === requestId);
    expect(apiLine).toMatchObject({ route: EMAIL_ROUTE, status: 202, method: "POST" });
    const workerLines = lines.filter((l) => l.jobId === jobId);
    expect(workerLines.length).toBeGreaterThan(0);
    for (const line of workerLines) expect(line.requestId).toBe(requestId);
  });

  it("shows each queue's jobs by state and its completed/dead jobs per minute", async () => {
    const done = await post("ok@example.com");
    const dead = await post("dead@example.com");
    const later = await post("later@example.com");
    const scheduled = await stack.request("POST", "/jobs/email/schedule", { key: USER_A.key, body: { ...valid, delayMs: 3_600_000 } });
    expect(scheduled.status).toBe(202);
    await pollUntil(() => state(done.jobId), (s) => s === "completed");
    await pollUntil(() => state(dead.jobId), (s) => s === "dead");
    await pollUntil(() => state(later.jobId), (s) => s === "retrying");

    type Overview = { queues: Array<{ name: string; paused: boolean; counts: Record<string, number>; perMinute: Array<{ start: string; completed: number; failed: number }> }> };
    const emailQueue = async () => (await getJson<Overview>(stack, "/monitoring/queues")).queues.find((q) => q.name === "email")!;
    const sums = (queue: Awaited<ReturnType<typeof emailQueue>>) => ({
      completed: queue.perMinute.reduce((n, m) => n + m.completed, 0),
      failed: queue.perMinute.reduce((n, m) => n + m.failed, 0),
    });
    // The worker flushes its counts of finished jobs once per METRICS_FLUSH_MS: wait for them,
    // then check that a flush later they are still exactly that (the retrying job's failed
    // attempt is not a death, and nothing is counted twice).
    await pollUntil(emailQueue, (queue) => sums(queue).completed >= 2 && sums(queue).failed >= 1, 10_000);
    await sleep(1_500);
    const email = await emailQueue();
    // Two completed: the traced mail and ok@.
    expect(email.counts).toEqual({ waiting: 0, scheduled: 1, active: 0, retrying: 1, completed: 2, dead: 1 });
    expect(email.paused).toBe(false);
    expect(email.perMinute).toHaveLength(60);
    expect(sums(email)).toEqual({ completed: 2, failed: 1 });
    const last = Date.parse(email.perMinute.at(-1)!.start);
    expect(last).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - last).toBeLessThan(2 * 60_000);

    const prom = parsePrometheus(await (await stack.request("GET", "/metrics", { key: ADMIN.key })).text());
    expect(prom.get(`taskgate_queue_jobs{queue="email",state="retrying"}`)).toBe(1);
    expect(prom.get(`taskgate_queue_jobs{queue="email",state="scheduled"}`)).toBe(1);
  });

  it("serves the worker's own job outcomes and durations on WORKER_METRICS_PORT, admin only", async () => {
    const url = `http://127.0.0.1:${stack.worker!.metricsPort}/metrics`;
    const refused = await fetch(url);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { requestId: string }).requestId).toBe(refused.headers.get("x-request-id"));
    expect((await fetch(url, { headers: { authorization: `Bearer ${USER_A.key}` } })).status).toBe(403);
    const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN.key}` } });
    expect(res.status).toBe(200);
    const prom = parsePrometheus(await res.text());
    expect(prom.get(`taskgate_jobs_processed_total{queue="email",outcome="completed"}`)).toBe(2);
    expect(prom.get(`taskgate_jobs_processed_total{queue="email",outcome="dead"}`)).toBe(1);
    expect(prom.get(`taskgate_jobs_processed_total{queue="email",outcome="retry"}`)).toBe(1);
    expect(prom.get(`taskgate_job_duration_seconds_count{queue="email",outcome="completed"}`)).toBe(2);
  });

  it("answers what the worker's metrics server cannot parse in the problem format too", async () => {
    const tooLarge = await rawExchange(stack.worker!.metricsPort!, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Filler: ${"a".repeat(20_000)}\r\n\r\n`);
    expect([tooLarge.status, tooLarge.headers["content-type"], tooLarge.body?.code]).toEqual([431, "application/problem+json", "HEADERS_TOO_LARGE"]);
    const notHttp = await rawExchange(stack.worker!.metricsPort!, "NOT HTTP AT ALL\r\n\r\n");
    expect([notHttp.status, notHttp.body?.code]).toEqual([400, "VALIDATION_FAILED"]);
  });
});
