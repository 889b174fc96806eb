import { describe, expect, it } from "vitest";
import { cleanupAfterEach } from "#test-support/cleanup.js";
import { startMailQueue } from "#test-support/mailQueue.js";
import { testRedisEnv } from "#test-support/redis.js";
import { spawnWorker, type RunningProcess } from "#test-support/processes.js";
import type { TestSmtpServer } from "#test-support/smtp.js";
import { pollUntil, sleep } from "#test-support/time.js";

const cleanup = cleanupAfterEach();

async function setup(sendDelayMs: () => number) {
  const { prefix, smtp, queue, close } = await startMailQueue({ onMessage: () => sleep(sendDelayMs()).then(() => undefined) });
  cleanup.push(close);
  const jobs = await queue.addBulk(
    Array.from({ length: 20 }, (_, i) => ({
      name: "send",
      data: { email: { to: `r${i}@example.com`, subject: `slow ${i}`, text: "x" }, requestId: `req-${i}`, ownerId: null },
      opts: { jobId: `slow-${i}`, attempts: 5, backoff: { type: "exponential", delay: 200 } },
    })),
  );
  return { prefix, smtp, queue, jobIds: jobs.map((j) => j.id!) };
}

function workerEnv(prefix: string, smtp: TestSmtpServer, extra: Record<string, string>) {
  return { ...testRedisEnv(), KEY_PREFIX: prefix, SMTP_URL: smtp.url, WORKER_CONCURRENCY: "20", ...extra };
}

async function track(proc: RunningProcess) {
  cleanup.push(() => proc.kill());
  return proc;
}

function expectDeliveredOnce(smtp: TestSmtpServer, count: number) {
  const ids = smtp.received.map((m) => m.messageId);
  expect(ids).toHaveLength(count);
  expect(new Set(ids).size).toBe(count);
}

describe("worker graceful shutdown", () => {
  it("lets 20 active jobs finish on SIGTERM, exits 0, and delivers each once", async () => {
    const { prefix, smtp, queue, jobIds } = await setup(() => 1500);
    const worker = await track(await spawnWorker(workerEnv(prefix, smtp, { SHUTDOWN_TIMEOUT_MS: "15000" })));
    await pollUntil(() => queue.getActiveCount(), (n) => n === 20, 20_000);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    const counts = await queue.getJobCounts("completed", "active", "wait");
    expect(counts).toEqual({ completed: 20, active: 0, wait: 0 });
    expectDeliveredOnce(smtp, 20);
    expect(jobIds).toHaveLength(20);
  });

  it("leaves jobs it cannot finish in time to be picked up again: a restarted worker completes all 20, none delivered twice", async () => {
    let slow = true;
    const { prefix, smtp, queue } = await setup(() => (slow ? 8000 : 50));
    // Short locks so the restarted worker takes over the abandoned jobs quickly.
    const env = workerEnv(prefix, smtp, { SHUTDOWN_TIMEOUT_MS: "1000", WORKER_LOCK_MS: "2000", WORKER_STALLED_INTERVAL_MS: "1000" });
    const first = await track(await spawnWorker(env));
    await pollUntil(() => queue.getActiveCount(), (n) => n === 20, 20_000);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.logs().some((l) => String(l.msg).startsWith("active jobs did not finish in time"))).toBe(true);
    expect(smtp.received).toHaveLength(0);

    slow = false;
    await track(await spawnWorker(env));
    await pollUntil(() => queue.getCompletedCount(), (n) => n === 20, 30_000, 200);
    expect(await queue.getJobCounts("active", "wait", "failed")).toEqual({ active: 0, wait: 0, failed: 0 });
    expectDeliveredOnce(smtp, 20);
  });
});
