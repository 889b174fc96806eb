import { Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import { cleanupAfterEach } from "#test-support/cleanup.js";
import { bullPrefix } from "@taskgate/shared";
import { spawnApi, spawnWorker, type RunningProcess } from "#test-support/processes.js";
import { startPrivateRedis, type PrivateRedis } from "#test-support/privateRedis.js";
import { pollUntil, sleep } from "#test-support/time.js";
import { freePort } from "#test-support/ports.js";

const cleanup = cleanupAfterEach();


interface Outcome {
  at: number;
  phase: "before" | "down" | "after";
  status: number | "error";
  retryAfter: string | null;
  jobId?: string;
}

describe("Redis outage", () => {
  it("answers 503 with Retry-After while Redis is away, recovers by itself within 10 s, and loses no accepted job", async () => {
    const redis: PrivateRedis = await startPrivateRedis();
    cleanup.push(() => redis.stop());
    // A job whose completion the outage swallowed comes back through BullMQ's stalled check
    // once its lock runs out: a 5 s lock keeps that path inside the test's time.
    const env = { REDIS_URL: redis.url, KEY_PREFIX: "outage", SHUTDOWN_TIMEOUT_MS: "3000", OUTBOX_DIR: `.data/test-outbox/outage-${redis.port}`, WORKER_STALLED_INTERVAL_MS: "1000", WORKER_LOCK_MS: "5000" };
    const api: RunningProcess & { url: string } = await spawnApi(env);
    cleanup.push(() => api.kill());
    const worker = await spawnWorker(env);
    cleanup.push(() => worker.kill());

    const outcomes: Outcome[] = [];
    let phase: Outcome["phase"] = "before";
    let running = true;
    const trickle = (async () => {
      for (let i = 0; running && i < 400; i += 1) {
        const at = Date.now();
        const current = phase;
        try {
          // A request that hangs would fail this bound instead of blocking the test.
          const res = await fetch(`${api.url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ to: "a@example.com", subject: `trickle ${i}`, text: "x" }), signal: AbortSignal.timeout(5000) });
          const body = (await res.json()) as { jobId?: string };
          outcomes.push({ at, phase: current, status: res.status, retryAfter: res.headers.get("retry-after"), ...(body.jobId ? { jobId: body.jobId } : {}) });
        } catch {
          outcomes.push({ at, phase: current, status: "error", retryAfter: null });
        }
        await sleep(100);
      }
    })();

    await pollUntil(async () => outcomes.filter((o) => o.status === 202).length, (n) => n >= 5);
    await redis.crash();
    phase = "down";
    await sleep(5000);
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "unavailable", redis: "down" });
    await redis.restart();
    const restartedAt = Date.now();
    phase = "after";
    // Recovery is bounded: the first 202 after the restart must come within 10 s.
    await pollUntil(async () => outcomes.some((o) => o.phase === "after" && o.status === 202), Boolean, 10_000);
    const recoveredAt = outcomes.find((o) => o.phase === "after" && o.status === 202)!.at;
    await sleep(1000);
    running = false;
    await trickle;

    const down = outcomes.filter((o) => o.phase === "down");
    expect(down.length).toBeGreaterThan(10);
    expect(down.every((o) => o.status === 503 && o.retryAfter !== null)).toBe(true);
    expect(outcomes.filter((o) => o.status === "error")).toEqual([]);
    expect(outcomes.filter((o) => typeof o.status === "number" && o.status >= 500 && o.status !== 503)).toEqual([]);
    expect(api.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
    expect(api.output()).not.toMatch(/unhandled|UnhandledPromiseRejection/i);
    console.log(`redis outage: ${down.length} answered 503 while down; recovered ${recoveredAt - restartedAt} ms after restart`);

    // Every job that got a 202 (before or after the outage) survived the crash (AOF) and completes.
    const accepted = outcomes.filter((o) => o.status === 202).map((o) => o.jobId!);
    const queue = new Queue("email", { connection: { url: redis.url }, prefix: bullPrefix("outage") });
    cleanup.push(() => queue.close());
    const unfinished = async () => (await Promise.all(accepted.map(async (id) => ({ id, state: await queue.getJobState(id) })))).filter((job) => job.state !== "completed");
    // Within 10 s: a worker left waiting BullMQ's default 15 s after a connection error would miss it.
    await pollUntil(unfinished, (jobs) => jobs.length === 0, 10_000, 250).catch(async () => {
      // Which jobs, and what the worker said, so a failure here can be read.
      throw new Error(`accepted jobs not completed: ${JSON.stringify(await unfinished())}\nworker output (end):\n${worker.output().slice(-2000)}`);
    });
  }, 60_000);

  // An API started before its Redis serves 503s, then everything at once the moment Redis is
  // ready: BullMQ's first connect (it defines its Lua commands then, on the queues' own
  // connection: docs/OPERATIONS.md, "Two connections per API process"), the policy
  // seeding's retry, the health probe and a burst of requests.
  it("starts without Redis, answers 503 until it comes up, and takes jobs from then on without stopping", async () => {
    const port = await freePort();
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, KEY_PREFIX: "late", SHUTDOWN_TIMEOUT_MS: "3000", RATE_LIMIT_RULES: "[]" };
    const api: RunningProcess & { url: string } = await spawnApi(env);
    cleanup.push(() => api.kill());
    expect((await fetch(`${api.url}/health`)).status).toBe(503);

    const answers: Array<number | "error"> = [];
    let running = true;
    const post = (i: number) =>
      fetch(`${api.url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ to: "a@example.com", subject: `late ${i}`, text: "x" }), signal: AbortSignal.timeout(5000) });
    const read = () => fetch(`${api.url}/monitoring/queues`, { signal: AbortSignal.timeout(5000) });
    // Twenty callers without a pause, so requests are in flight in the very turn Redis is ready.
    const callers = Array.from({ length: 20 }, async (_, c) => {
      for (let i = 0; running; i += 1) {
        try {
          const res = await (c % 4 === 0 ? read() : post(i));
          await res.arrayBuffer();
          answers.push(res.status);
        } catch {
          answers.push("error");
        }
      }
    });
    await sleep(300);
    const redis: PrivateRedis = await startPrivateRedis({ port });
    cleanup.push(() => redis.stop());
    await pollUntil(async () => answers.filter((status) => status === 202).length, (n) => n >= 200, 15_000);
    running = false;
    await Promise.all(callers);

    expect(api.child.exitCode).toBeNull();
    expect(answers.filter((status) => status !== 202 && status !== 200 && status !== 503)).toEqual([]);
    expect(answers.filter((status) => status === 503).length).toBeGreaterThan(0);
    expect(api.output()).not.toMatch(/unhandled|uncaught/i);
  }, 60_000);
});
