import { afterAll, afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { Writable } from "node:stream";
import { startApi, type RunningApi } from "@taskgate/server";
import { parseConfig } from "@taskgate/shared";
import { parseList } from "#test-support/structuredFields.js";
import { API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { startPrivateRedis } from "#test-support/privateRedis.js";

let stacks: TestStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  stacks = [];
});

async function stackWith(rules: unknown[], env: Record<string, string> = {}) {
  const stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify(rules), ...env } });
  stacks.push(stack);
  return stack;
}

const mail = { to: "a@example.com", subject: "s", text: "t" };

describe("rate limiting over HTTP", () => {
  it("sends RateLimit-Policy and RateLimit with one item per matching rule, as draft-10 structured fields", async () => {
    const stack = await stackWith([
      { name: "email-per-user", key: "user", limit: 60, windowMs: 60_000, routes: ["POST /jobs/email*"], priority: 10 },
      { name: "ip-default", key: "ip", limit: 300, windowMs: 60_000 },
      { name: "other-route", key: "ip", limit: 5, windowMs: 60_000, routes: ["GET /jobs/status/:queue/:jobId"] },
    ]);
    const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail });
    expect(res.status).toBe(202);
    const policy = parseList(res.headers.get("ratelimit-policy")!);
    expect(policy).toEqual([
      { name: "email-per-user", params: { q: 60, w: 60 } },
      { name: "ip-default", params: { q: 300, w: 60 } },
    ]);
    const state = parseList(res.headers.get("ratelimit")!);
    expect(state.map((s) => s.name)).toEqual(["email-per-user", "ip-default"]);
    expect(state[0]!.params.r).toBe(59);
    expect(state[1]!.params.r).toBe(299);
    expect(state[0]!.params.t).toBeGreaterThan(0);
    expect(state[0]!.params.t).toBeLessThanOrEqual(60);
  });

  it("answers 429 with Retry-After and a problem naming the highest-priority violated rule and listing all violated rules", async () => {
    const stack = await stackWith([
      { name: "low-priority", key: "ip", limit: 1, windowMs: 120_000, priority: 50 },
      { name: "high-priority", key: "user", limit: 1, windowMs: 30_000, priority: 5 },
    ]);
    expect((await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail })).status).toBe(202);
    const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail });
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as { code: string; rule: string; limit: number; windowMs: number; retryAfterMs: number; violated: Array<{ rule: string; retryAfterMs: number }> };
    expect(problem).toMatchObject({ code: "RATE_LIMITED", rule: "high-priority", limit: 1, windowMs: 30_000 });
    expect(problem.retryAfterMs).toBeGreaterThan(0);
    expect(problem.violated.map((v) => v.rule).sort()).toEqual(["high-priority", "low-priority"]);
    // A retry must pass every violated rule, so Retry-After covers the longest wait.
    const longest = Math.max(...problem.violated.map((v) => v.retryAfterMs));
    expect(Number(res.headers.get("retry-after"))).toBe(Math.ceil(longest / 1000));
  });

  it("gives tRPC callers the same 429 data, counted against the same route as the REST alias", async () => {
    const stack = await stackWith([{ name: "two", key: "user", limit: 2, windowMs: 60_000, routes: ["POST /jobs/email"] }]);
    expect((await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail })).status).toBe(202);
    const viaTrpc = () => fetch(`${stack.url}/trpc/jobs.email.create`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` }, body: JSON.stringify({ json: mail }) });
    expect((await viaTrpc()).status).toBe(200);
    const denied = await viaTrpc();
    expect(denied.status).toBe(429);
    expect(denied.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = (await denied.json()) as { error: { json: { data: { problem: { code: string; rule: string; violated: unknown[] } } } } };
    expect(body.error.json.data.problem).toMatchObject({ code: "RATE_LIMITED", rule: "two" });
    expect(body.error.json.data.problem.violated).toHaveLength(1);
    expect((await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail })).status).toBe(429);
  });

  it("does not believe X-Forwarded-For unless TRUST_PROXY says so", async () => {
    const rules = [{ name: "per-ip", key: "ip", limit: 1, windowMs: 60_000 }];
    const untrusting = await stackWith(rules);
    const asIp = (stack: TestStack, ip: string) => stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail, headers: { "x-forwarded-for": ip } });
    expect((await asIp(untrusting, "203.0.113.1")).status).toBe(202);
    expect((await asIp(untrusting, "203.0.113.2")).status).toBe(429);
    const trusting = await stackWith(rules, { TRUST_PROXY: "loopback" });
    expect((await asIp(trusting, "203.0.113.1")).status).toBe(202);
    expect((await asIp(trusting, "203.0.113.2")).status).toBe(202);
    expect((await asIp(trusting, "203.0.113.1")).status).toBe(429);
  });
});

describe("rate limiting when Redis does not answer", () => {
  const running: RunningApi[] = [];
  afterAll(async () => {
    await Promise.all(running.map((api) => api.close()));
  });

  async function apiOnDeadRedis(failMode: "open" | "closed") {
    const redis = await startPrivateRedis();
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const config = parseConfig({ REDIS_URL: redis.url, PORT: "0", RATE_LIMIT_FAIL_MODE: failMode, RATE_LIMIT_RULES: JSON.stringify([{ name: "per-ip", key: "ip", limit: 100, windowMs: 60_000 }]) });
    const api = await startApi(config, { logger });
    running.push(api);
    await redis.stop();
    return { api, lines };
  }

  const post = (api: RunningApi) =>
    fetch(`${api.url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(mail), signal: AbortSignal.timeout(5000) });

  it("fails closed with 503 UNAVAILABLE and Retry-After, and logs the event", async () => {
    const { api, lines } = await apiOnDeadRedis("closed");
    const res = await post(api);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe("UNAVAILABLE");
    expect(problem.detail).toMatch(/rate limiting/i);
    expect(lines.some((l) => l.includes("rate limiter could not reach Redis"))).toBe(true);
    const counted = await api.deps.metrics.registry.getSingleMetricAsString("rate_limit_decisions_total");
    expect(counted).toMatch(/rate_limit_decisions_total\{rule="\(limiter\)",outcome="fail_closed"\} 1/);
  });

  it("fails open: the limiter admits (the request then meets the dead Redis at the enqueue, still a fast 503), and logs the event", async () => {
    const { api, lines } = await apiOnDeadRedis("open");
    const res = await post(api);
    expect(res.status).toBe(503);
    const problem = (await res.json()) as { detail: string };
    expect(problem.detail).not.toMatch(/rate limiting/i);
    expect(lines.some((l) => l.includes("rate limiter could not reach Redis"))).toBe(true);
    const counted = await api.deps.metrics.registry.getSingleMetricAsString("rate_limit_decisions_total");
    expect(counted).toMatch(/rate_limit_decisions_total\{rule="\(limiter\)",outcome="fail_open"\} 1/);
  });
});
