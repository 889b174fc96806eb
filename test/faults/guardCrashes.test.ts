import { Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import { cleanupAfterEach } from "#test-support/cleanup.js";
import { bullPrefix } from "@taskgate/shared";
import { startMailQueue } from "#test-support/mailQueue.js";
import { testRedisEnv } from "#test-support/redis.js";
import { spawnEntry, spawnWorker } from "#test-support/processes.js";
import { startTestSmtp, type TestSmtpOptions } from "#test-support/smtp.js";
import { startPrivateRedis } from "#test-support/privateRedis.js";
import { pollUntil, sleep } from "#test-support/time.js";

const cleanup = cleanupAfterEach();

/** One email job, `crash-1`, on a fresh prefix with its own SMTP server, and the env of a worker for it. */
async function oneJob(smtpOptions: TestSmtpOptions = {}) {
  const { prefix, smtp, queue, close } = await startMailQueue(smtpOptions);
  cleanup.push(close);
  await queue.add("send", { email: { to: "once@example.com", subject: "exactly once?", text: "x" }, requestId: "req-crash", ownerId: null }, { jobId: "crash-1", attempts: 5, backoff: { type: "fixed", delay: 100 } });
  const env = { ...testRedisEnv(), KEY_PREFIX: prefix, SMTP_URL: smtp.url, WORKER_LOCK_MS: "1500", WORKER_STALLED_INTERVAL_MS: "500" };
  return { smtp, queue, env };
}

describe("execution guard with real crashes", () => {
  it("resends with the same Message-ID when the worker dies after the SMTP accept but before the done mark", async () => {
    const { smtp, queue, env } = await oneJob();
    const crashing = spawnEntry("test/support/crashingWorker.ts", { ...env, CRASH_AT: "after-send" });
    cleanup.push(() => crashing.kill());
    expect(await crashing.exited).toBe(128);
    expect(smtp.received).toHaveLength(1);
    const worker = await spawnWorker(env);
    cleanup.push(() => worker.kill());
    await pollUntil(() => queue.getJobState("crash-1"), (s) => s === "completed", 20_000);
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1]!.messageId).toBe(smtp.received[0]!.messageId);
    expect(smtp.received[0]!.messageId).toBe("<email.crash-1@localhost>");
  });

  it("sends exactly once when the worker dies before sending", async () => {
    const { smtp, queue, env } = await oneJob();
    const crashing = spawnEntry("test/support/crashingWorker.ts", { ...env, CRASH_AT: "before-send" });
    cleanup.push(() => crashing.kill());
    expect(await crashing.exited).toBe(128);
    expect(smtp.received).toHaveLength(0);
    const worker = await spawnWorker(env);
    cleanup.push(() => worker.kill());
    await pollUntil(() => queue.getJobState("crash-1"), (s) => s === "completed", 20_000);
    expect(smtp.received).toHaveLength(1);
  });

  it("sends once when two workers race on one stalled job", async () => {
    // A slow server, so the stalled worker wakes up while the other is still sending.
    const { smtp, queue, env } = await oneJob({ onMessage: () => sleep(2500).then(() => undefined) });
    const frozen = spawnEntry("test/support/crashingWorker.ts", { ...env, FREEZE_AT_START_MS: "8000", LOG_LEVEL: "info" });
    cleanup.push(() => frozen.kill());
    await pollUntil(() => queue.getActiveCount(), (n) => n === 1, 20_000);
    const rescuer = await spawnWorker(env);
    cleanup.push(() => rescuer.kill());
    await pollUntil(() => queue.getJobState("crash-1"), (s) => s === "completed", 30_000);
    // Give the frozen worker time to wake up and try its own run of the job.
    await pollUntil(async () => frozen.logs().some((l) => l.jobId === "crash-1"), Boolean, 10_000);
    await sleep(3000);
    expect(smtp.received).toHaveLength(1);
    expect(rescuer.logs().some((l) => l.msg === "email sent" && l.jobId === "crash-1")).toBe(true);
    // The frozen worker did run the job when it woke up, and the guard stopped it from sending.
    const frozenLines = frozen.logs().filter((l) => l.jobId === "crash-1").map((l) => l.msg);
    expect(frozenLines.length).toBeGreaterThan(0);
    expect(frozenLines).not.toContain("email sent");
  });

  it("sends a job that stalls more often than WORKER_MAX_STALLED_COUNT to dead with a clear reason", async () => {
    const { smtp, queue, env } = await oneJob();
    const strict = { ...env, WORKER_MAX_STALLED_COUNT: "0" };
    const frozen = spawnEntry("test/support/crashingWorker.ts", { ...strict, FREEZE_AT_START_MS: "6000" });
    cleanup.push(() => frozen.kill());
    await pollUntil(() => queue.getActiveCount(), (n) => n === 1, 20_000);
    const checker = await spawnWorker(strict);
    cleanup.push(() => checker.kill());
    await pollUntil(() => queue.getJobState("crash-1"), (s) => s === "failed", 20_000);
    const job = await queue.getJob("crash-1");
    expect(job!.failedReason).toMatch(/stalled more than allowable limit/);
    await frozen.kill();
    expect(smtp.received).toHaveLength(0);
  });

  it("loses no accepted job when Redis (AOF) restarts during a run of 100 jobs", async () => {
    const redis = await startPrivateRedis();
    cleanup.push(() => redis.stop());
    const smtp = await startTestSmtp({ onMessage: () => sleep(30).then(() => undefined) });
    cleanup.push(() => smtp.close());
    const queue = new Queue("email", { connection: { url: redis.url }, prefix: bullPrefix("aof") });
    queue.on("error", () => undefined);
    cleanup.push(() => queue.close());
    await queue.addBulk(
      Array.from({ length: 100 }, (_, i) => ({
        name: "send",
        data: { email: { to: `r${i}@example.com`, subject: `aof ${i}`, text: "x" }, requestId: `aof-${i}`, ownerId: null },
        opts: { jobId: `aof-${i}`, attempts: 20, backoff: { type: "fixed", delay: 200 } },
      })),
    );
    const worker = await spawnWorker({ REDIS_URL: redis.url, KEY_PREFIX: "aof", SMTP_URL: smtp.url, WORKER_CONCURRENCY: "2", WORKER_LOCK_MS: "2000", WORKER_STALLED_INTERVAL_MS: "1000", WORKER_MAX_STALLED_COUNT: "20" });
    cleanup.push(() => worker.kill());
    await pollUntil(async () => smtp.received.length, (n) => n >= 20, 20_000);
    await redis.crash();
    const deliveredBeforeRestart = smtp.received.length;
    await sleep(1000);
    await redis.restart();
    await pollUntil(() => queue.getCompletedCount().catch(() => 0), (n) => n === 100, 60_000, 250);
    const ids = new Set(smtp.received.map((m) => m.messageId));
    for (let i = 0; i < 100; i += 1) expect(ids.has(`<email.aof-${i}@localhost>`)).toBe(true);
    console.log(`aof restart: ${deliveredBeforeRestart} delivered before the crash, ${smtp.received.length} deliveries for 100 jobs`);
    expect(worker.child.exitCode).toBeNull();
  });
});
