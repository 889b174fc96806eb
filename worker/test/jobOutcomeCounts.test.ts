/**
 * The worker's counts of finished jobs (`monitoring.queues`' per minute): each worker process
 * adds its completed and dead jobs to the shared minute and hour buckets; a failed attempt that
 * will run again is not counted; what is summed in memory reaches Redis on a graceful close even
 * when the flush period has not come round. Real Redis, real BullMQ, in-process workers.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { METRIC_BUCKETS, parseConfig, redisKeys, type EmailJobData } from "@taskgate/shared";
import { bucketStart, JOB_OUTCOME_FIELD, jobOutcomeSeries } from "@taskgate/shared/runtime";
import { cleanupAfterEach } from "#test-support/cleanup.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis, testRedisEnv } from "#test-support/redis.js";
import { pollUntil } from "#test-support/time.js";
import type { MailTransport } from "../src/email/transport.js";
import { startWorker, type RunningWorker } from "../src/worker.js";
import { openEmailQueue } from "./workerTestKit.js";

const testPrefix = prefixPerTest();
const cleanup = cleanupAfterEach();

/**
 * Accepts every mail except to `bounce@…` (a 550: permanent, the job dies at once) and, once
 * over all workers sharing `seen`, to `flaky@…` (a 451: retried).
 */
function transport(seen: { flakyFailed: boolean }): MailTransport {
  return {
    send: async (mail) => {
      const to = String(mail.to);
      if (to.startsWith("bounce@")) throw Object.assign(new Error("550 5.1.1 user unknown"), { responseCode: 550 });
      if (to.startsWith("flaky@") && !seen.flakyFailed) {
        seen.flakyFailed = true;
        throw Object.assign(new Error("451 4.3.0 try again later"), { responseCode: 451 });
      }
      return { messageId: mail.messageId, response: "250 ok", accepted: [to], rejected: [] };
    },
    close: () => undefined,
  };
}

async function startOn(prefix: string, seen: { flakyFailed: boolean }): Promise<RunningWorker> {
  // A flush period longer than the test: counts reach Redis only through close().
  const config = parseConfig({ ...testRedisEnv(), KEY_PREFIX: prefix, HOST: "127.0.0.1", METRICS_FLUSH_MS: "60000", JOB_ATTEMPTS: "3", JOB_BACKOFF_MS: "10" });
  const running = await startWorker(config, { logger: pino({ level: "silent" }), transport: transport(seen) });
  cleanup.push(() => running.close());
  return running;
}

const mail = (to: string, i: number) => ({ name: "send", data: { email: { to, subject: `count ${i}`, text: "x" }, requestId: `req-${i}`, ownerId: null } satisfies EmailJobData, opts: { jobId: `count-${i}`, attempts: 3, backoff: { type: "fixed", delay: 10 } } });

describe("job outcome counts", () => {
  it("sum two workers' completed and dead jobs in the shared buckets, without the retried attempt, flushed on close", async () => {
    const prefix = testPrefix();
    const queue = openEmailQueue(prefix, cleanup);
    const seen = { flakyFailed: false };
    const workers = [await startOn(prefix, seen), await startOn(prefix, seen)];

    const recipients = ["a@example.com", "b@example.com", "c@example.com", "d@example.com", "flaky@example.com", "bounce@example.com", "bounce@example.com"];
    await queue.addBulk(recipients.map((to, i) => mail(to, i)));
    await pollUntil(async () => (await queue.getCompletedCount()) + (await queue.getFailedCount()), (n) => n === recipients.length, 20_000);
    const jobs = await Promise.all(recipients.map((_, i) => queue.getJob(`count-${i}`)));
    expect(jobs.map((job) => job!.attemptsMade)).toEqual([1, 1, 1, 1, 2, 1, 1]);

    const redis = connectTestRedis();
    cleanup.push(() => redis.quit());
    const keys = redisKeys(prefix);
    const read = async (bucket: (typeof METRIC_BUCKETS)[number]) => {
      // The buckets the jobs finished in (a run may straddle a minute).
      const starts = [...new Set(jobs.map((job) => bucketStart(job!.finishedOn!, bucket)))];
      const hashes = await Promise.all(starts.map((start) => redis.hgetall(keys.counterBucket(jobOutcomeSeries("email"), bucket, start))));
      const sum = (field: string) => hashes.reduce((n, hash) => n + Number(hash[field] ?? 0), 0);
      return { completed: sum(JOB_OUTCOME_FIELD.completed), dead: sum(JOB_OUTCOME_FIELD.dead) };
    };
    // Nothing flushed yet: the period is a minute.
    expect(await read("minute")).toEqual({ completed: 0, dead: 0 });

    await Promise.all(workers.map((worker) => worker.close()));
    expect(await read("minute")).toEqual({ completed: 5, dead: 2 });
    expect(await read("hour")).toEqual({ completed: 5, dead: 2 });
    const ttl = await redis.pttl(keys.counterBucket(jobOutcomeSeries("email"), "minute", bucketStart(jobs[0]!.finishedOn!, "minute")));
    expect(ttl).toBeGreaterThan(0);
  });
});
