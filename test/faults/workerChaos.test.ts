import { describe, expect, it } from "vitest";
import { cleanupAfterEach } from "#test-support/cleanup.js";
import { startMailQueue } from "#test-support/mailQueue.js";
import { testRedisEnv } from "#test-support/redis.js";
import { spawnEntry, spawnWorker, type RunningProcess } from "#test-support/processes.js";
import { pollUntil, sleep } from "#test-support/time.js";

const cleanup = cleanupAfterEach();


describe("execution guard under worker crashes", () => {
  it("completes and delivers all 200 jobs while workers are kill -9'd, with duplicates only from kills inside the documented window", async () => {
    const { prefix, smtp, queue, close } = await startMailQueue({ onMessage: () => sleep(50 + Math.random() * 100).then(() => undefined) });
    cleanup.push(close);
    const total = 200;
    await queue.addBulk(
      Array.from({ length: total }, (_, i) => ({
        name: "send",
        data: { email: { to: `r${i}@example.com`, subject: `chaos ${i}`, text: "x" }, requestId: `chaos-${i}`, ownerId: null },
        opts: { jobId: `chaos-${i}`, attempts: 10, backoff: { type: "exponential", delay: 100 } },
      })),
    );
    // Short locks so killed workers' jobs come back quickly; many stalls allowed since we kill often.
    const env = {
      ...testRedisEnv(),
      KEY_PREFIX: prefix,
      SMTP_URL: smtp.url,
      WORKER_CONCURRENCY: "1",
      WORKER_LOCK_MS: "2000",
      WORKER_STALLED_INTERVAL_MS: "1000",
      WORKER_MAX_STALLED_COUNT: "50",
    };
    const workers: RunningProcess[] = await Promise.all([spawnWorker(env), spawnWorker(env)]);
    cleanup.push(() => Promise.all(workers.map((w) => w.kill())));

    const kills: number[] = [];
    while (kills.length < 6 && (await queue.getCompletedCount()) < total) {
      await sleep(1500);
      const victim = Math.floor(Math.random() * workers.length);
      kills.push(Date.now());
      await workers[victim]!.kill();
      // Restart at once without waiting for it to be up: the next kill may hit a worker mid-start.
      workers[victim] = spawnEntry("worker/src/main.ts", env);
    }
    await pollUntil(() => queue.getCompletedCount(), (n) => n === total, 60_000, 250);

    const deliveries = new Map<string, number[]>();
    for (const mail of smtp.received) deliveries.set(mail.messageId!, [...(deliveries.get(mail.messageId!) ?? []), mail.receivedAt]);
    const duplicates = [...deliveries.entries()].filter(([, times]) => times.length > 1);
    console.log(`chaos: ${kills.length} kills, ${smtp.received.length} deliveries for ${total} jobs, ${duplicates.length} duplicated Message-IDs`);

    expect(kills.length).toBeGreaterThanOrEqual(5);
    expect(await queue.getJobCounts("completed", "failed", "active", "wait", "delayed")).toEqual({ completed: total, failed: 0, active: 0, wait: 0, delayed: 0 });
    for (let i = 0; i < total; i += 1) expect(deliveries.has(`<email.chaos-${i}@localhost>`)).toBe(true);
    // The only window for a duplicate: the SMTP server had the whole message, then the worker
    // died before its done mark. So each duplicated mail's first delivery sits right at a kill
    // (the test server records a mail after its 50-150 ms "processing", so possibly just after it).
    for (const [messageId, times] of duplicates) {
      const first = Math.min(...times);
      expect(kills.some((kill) => Math.abs(first - kill) < 1000), `${messageId} first delivered at ${first}, kills at ${kills.join(", ")}`).toBe(true);
    }
  }, 120_000);
});
