/**
 * A job whose data makes no message (it skipped the API's validation: an older producer, a
 * hand-added job) goes dead at its first attempt as permanent, with its attempt recorded, instead
 * of failing every attempt with a raw TypeError. Real Redis, real BullMQ, an in-process worker.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { decodeAttemptLogs, parseConfig, type EmailJobData } from "@taskgate/shared";
import { cleanupAfterEach } from "#test-support/cleanup.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { testRedisEnv } from "#test-support/redis.js";
import { pollUntil } from "#test-support/time.js";
import type { MailTransport } from "../../src/email/transport.js";
import { startWorker } from "../../src/worker.js";
import { openEmailQueue } from "../workerTestKit.js";

const testPrefix = prefixPerTest();
const cleanup = cleanupAfterEach();

describe("a job whose data makes no message", () => {
  it("goes dead at the first attempt as permanent, its attempt logged, and nothing is sent", async () => {
    const prefix = testPrefix();
    const queue = openEmailQueue(prefix, cleanup);
    const sent: unknown[] = [];
    const transport: MailTransport = {
      send: async (mail) => {
        sent.push(mail);
        return { messageId: mail.messageId, response: "250 ok", accepted: [], rejected: [] };
      },
      close: () => undefined,
    };
    const config = parseConfig({ ...testRedisEnv(), KEY_PREFIX: prefix, HOST: "127.0.0.1", JOB_ATTEMPTS: "3", JOB_BACKOFF_MS: "10" });
    const running = await startWorker(config, { logger: pino({ level: "silent" }), transport });
    cleanup.push(() => running.close());

    // No `email` field at all.
    await queue.add("send", { requestId: "req-bad", ownerId: null } as unknown as EmailJobData, { jobId: "bad-1", attempts: 3, backoff: { type: "fixed", delay: 10 } });
    await pollUntil(() => queue.getJobState("bad-1"), (state) => state === "failed", 10_000);

    const job = (await queue.getJob("bad-1"))!;
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^invalid message: /);
    const { logs } = await queue.getJobLogs("bad-1");
    expect(decodeAttemptLogs(logs)).toEqual([expect.objectContaining({ nonRetryable: true, error: job.failedReason })]);
    expect(sent).toEqual([]);
  });
});
