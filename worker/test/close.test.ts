/**
 * `RunningWorker.close()`: its result says whether the drain finished within SHUTDOWN_TIMEOUT_MS,
 * against a real Redis with a transport whose sends take as long as a test says.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { parseConfig, redisKeys } from "@taskgate/shared";
import { cleanupAfterEach } from "#test-support/cleanup.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis, testRedisEnv } from "#test-support/redis.js";
import { sleep } from "#test-support/time.js";
import type { MailTransport } from "../src/email/transport.js";
import { startWorker, type RunningWorker } from "../src/worker.js";
import { openEmailQueue } from "./workerTestKit.js";

// Declared first, so its keys are deleted after the clean-up below stopped the worker.
const testPrefix = prefixPerTest();
const cleanup = cleanupAfterEach();

/** A transport whose every send takes `sendMs`. */
function slowTransport(sendMs: number): MailTransport {
  return {
    send: async (mail) => {
      await sleep(sendMs);
      return { messageId: mail.messageId, response: "250 ok", accepted: [String(mail.to)], rejected: [] };
    },
    close: () => undefined,
  };
}

/** A worker on the test's prefix with one job already running when this resolves. */
async function workerWithOneActiveJob(sendMs: number, shutdownTimeoutMs: number, env: Record<string, string> = {}): Promise<RunningWorker & { prefix: string }> {
  const prefix = testPrefix();
  const queue = openEmailQueue(prefix, cleanup);
  let started!: () => void;
  const jobStarted = new Promise<void>((resolve) => (started = resolve));
  const config = parseConfig({ ...testRedisEnv(), KEY_PREFIX: prefix, LOG_LEVEL: "silent", SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs), ...env });
  const running = await startWorker(config, { logger: pino({ level: "silent" }), transport: slowTransport(sendMs), onJobStart: () => started() });
  cleanup.push(() => running.close());
  await queue.add("send", { email: { to: "a@example.com", subject: "close", text: "x" }, requestId: "req-close", ownerId: null }, { jobId: "close-1", attempts: 1 });
  await jobStarted;
  return Object.assign(running, { prefix });
}

describe("RunningWorker.close()", () => {
  it("resolves true when the active job finishes within SHUTDOWN_TIMEOUT_MS", async () => {
    const running = await workerWithOneActiveJob(200, 10_000);
    expect(await running.close()).toBe(true);
  });

  it("waits for a send that outlived JOB_TIMEOUT_MS, so its done mark is written before the worker stops", async () => {
    const running = await workerWithOneActiveJob(800, 10_000, { JOB_TIMEOUT_MS: "100" });
    // The attempt has timed out (its job is dead: one attempt) while the send still runs.
    await sleep(300);
    expect(await running.close()).toBe(true);
    const redis = connectTestRedis();
    cleanup.push(() => redis.quit());
    expect(await redis.hget(redisKeys(running.prefix).effect("email", "close-1"), "state")).toBe("done");
  });

  it("resolves false when a job outlives SHUTDOWN_TIMEOUT_MS, without waiting for it", async () => {
    const running = await workerWithOneActiveJob(10_000, 300);
    const startedAt = Date.now();
    expect(await running.close()).toBe(false);
    // The deadline, plus at most the 500 ms close(true) is given, not the job's 10 s.
    expect(Date.now() - startedAt).toBeLessThan(3_000);
  });
});
