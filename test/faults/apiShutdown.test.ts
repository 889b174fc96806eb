import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { parseConfig } from "@taskgate/shared";
import { startWorker, type MailTransport } from "@taskgate/worker";
import { pino } from "pino";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis, testRedisEnv } from "#test-support/redis.js";
import { spawnApi } from "#test-support/processes.js";
import { pollUntil, sleep } from "#test-support/time.js";

const testPrefix = prefixPerTest();

/** The environment of this test's API process (and of its worker), on the test's prefix. */
function apiEnv(extra: Record<string, string> = {}) {
  const prefix = testPrefix();
  return { prefix, env: { ...testRedisEnv(), KEY_PREFIX: prefix, RATE_LIMIT_RULES: "[]", ...extra } };
}

const nullTransport: MailTransport = {
  send: async (mail) => ({ messageId: mail.messageId, response: "250 accepted", accepted: [String(mail.to)], rejected: [] }),
  close: () => undefined,
};

describe("API graceful shutdown", () => {
  it("answers every request it accepted during a SIGTERM under load, exits 0, and every 202'd job completes", async () => {
    const { prefix, env } = apiEnv({ SHUTDOWN_TIMEOUT_MS: "10000" });
    const api = await spawnApi(env);
    const statuses: number[] = [];
    const jobIds: string[] = [];
    let incomplete = 0;
    let connectionErrors = 0;
    let stop = false;
    const deadline = Date.now() + 15_000;
    // 50 connections posting in a loop until the server stops answering (bounded in time and count).
    const loops = Array.from({ length: 50 }, async () => {
      for (let i = 0; i < 400 && !stop && Date.now() < deadline; i += 1) {
        let res: Response;
        try {
          res = await fetch(`${api.url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ to: "a@example.com", subject: `load ${i}`, text: "x" }) });
        } catch {
          connectionErrors += 1; // refused or closed before the server read the request
          if (api.child.exitCode !== null) return;
          continue;
        }
        try {
          const body = (await res.json()) as { jobId?: string };
          statuses.push(res.status);
          if (res.status === 202 && body.jobId) jobIds.push(body.jobId);
        } catch {
          incomplete += 1; // a response cut off mid-way
        }
      }
    });
    await pollUntil(async () => statuses.length, (n) => n >= 200, 15_000);
    api.child.kill("SIGTERM");
    const code = await api.exited;
    stop = true;
    await Promise.all(loops);

    expect(code).toBe(0);
    expect(incomplete).toBe(0);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const stopped = api.logs().find((l) => l.msg === "API stopped") as { requestsReceived: number; responsesCompleted: number; clean: boolean };
    expect(stopped.clean).toBe(true);
    // Every request the server read got a complete response that the client received.
    expect(stopped.responsesCompleted).toBe(stopped.requestsReceived);
    // The server also served the one readiness probe (GET /health/live) of spawnApi.
    expect(statuses.length).toBe(stopped.requestsReceived - 1);
    expect(jobIds.length).toBeGreaterThan(0);
    console.log(`shutdown under load: ${statuses.length} answered, ${connectionErrors} connection attempts refused after close`);

    const config = parseConfig({ ...testRedisEnv(), KEY_PREFIX: prefix, WORKER_CONCURRENCY: "50", LOG_LEVEL: "silent" });
    const worker = await startWorker(config, { transport: nullTransport, logger: pino({ level: "silent" }) });
    try {
      const redis = connectTestRedis();
      await pollUntil(
        async () => {
          const states = await Promise.all(jobIds.map((id) => redis.hget(`${prefix}:{jobs}:email:${id}`, "finishedOn")));
          return states.filter((s) => s !== null).length;
        },
        (done) => done === jobIds.length,
        30_000,
        200,
      );
      await redis.quit();
    } finally {
      await worker.close();
    }
  });

  it("exits non-zero at the deadline when a request never ends, and says which", async () => {
    const { env } = apiEnv({ SHUTDOWN_TIMEOUT_MS: "1000" });
    const api = await spawnApi(env);
    const port = new URL(api.url).port;
    // A client that promises a body and never sends all of it: the request stays in flight.
    const socket = connect(Number(port), "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write("POST /jobs/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"to\":");
    await pollUntil(async () => api.output().length, () => true);
    await sleep(200);
    api.child.kill("SIGTERM");
    const code = await api.exited;
    socket.destroy();
    expect(code).not.toBe(0);
    const timedOut = api.logs().find((l) => String(l.msg).startsWith("shutdown timed out")) as { stillOpen: Array<{ method: string; url: string }> } | undefined;
    expect(timedOut).toBeDefined();
    expect(timedOut!.stillOpen).toEqual([expect.objectContaining({ method: "POST", url: "/jobs/email" })]);
  });

  it("exits at once with code 1 on a second signal", async () => {
    const { env } = apiEnv({ SHUTDOWN_TIMEOUT_MS: "60000" });
    const api = await spawnApi(env);
    const socket = connect(Number(new URL(api.url).port), "127.0.0.1");
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write("POST /jobs/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
    await sleep(200);
    api.child.kill("SIGTERM");
    await pollUntil(async () => api.logs().some((l) => l.msg === "shutting down"), Boolean);
    api.child.kill("SIGTERM");
    expect(await api.exited).toBe(1);
    socket.destroy();
  });

  it("gives a busy keep-alive connection Connection: close on its last response and closes idle ones", async () => {
    const { env } = apiEnv({ SHUTDOWN_TIMEOUT_MS: "5000" });
    const api = await spawnApi(env);
    const port = Number(new URL(api.url).port);
    // One keep-alive socket holding a slow request so the drain lasts, and another to ask health on.
    const hold = connect(port, "127.0.0.1");
    hold.on("error", () => undefined);
    await new Promise<void>((resolve) => hold.once("connect", () => resolve()));
    hold.write("POST /jobs/email HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
    const probe = connect(port, "127.0.0.1");
    probe.on("error", () => undefined);
    let answer = "";
    probe.on("data", (d: Buffer) => (answer += d.toString()));
    await new Promise<void>((resolve) => probe.once("connect", () => resolve()));
    probe.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    await pollUntil(async () => answer, (a) => a.includes("\r\n\r\n{"));
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    const probeClosed = new Promise<void>((resolve) => probe.once("close", () => resolve()));
    api.child.kill("SIGTERM");
    await pollUntil(async () => api.logs().some((l) => l.msg === "shutting down"), Boolean);
    hold.write("x".repeat(999));
    let held = "";
    hold.on("data", (d: Buffer) => (held += d.toString()));
    await pollUntil(async () => held, (h) => h.includes("\r\n\r\n"));
    expect(held).toMatch(/connection: close/i);
    await probeClosed;
    hold.destroy();
    probe.destroy();
    expect(await api.exited).toBe(0);
  });
});
