/**
 * The worker's done marks on a single Redis: sent unawaited on the connection BullMQ completes
 * jobs on, ahead of the completion, so Redis applies every job's done mark before its completion;
 * and a done mark that fails then is logged and counted while the job completes with its one
 * mail. Real Redis (MONITOR shows what it executed, in order), real BullMQ, in-process worker.
 * The kill -9 side is in doneMarkCrash.test.ts.
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { bullPrefix, parseConfig, redisKeys, type EmailJobData } from "@taskgate/shared";
import { cleanupAfterEach } from "#test-support/cleanup.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis, TEST_REDIS_CLUSTER_NODES, testRedisEnv } from "#test-support/redis.js";
import { pollUntil } from "#test-support/time.js";
import type { MailTransport } from "../src/email/transport.js";
import { startWorker, type RunningWorker } from "../src/worker.js";
import { openEmailQueue } from "./workerTestKit.js";

// Declared first, so its keys are deleted after the clean-up below stopped the worker.
const testPrefix = prefixPerTest();
const cleanup = cleanupAfterEach();

const job = (i: number): { name: string; data: EmailJobData; opts: { jobId: string } } => ({
  name: "send",
  data: { email: { to: `r${i}@example.com`, subject: `order ${i}`, text: "x" }, requestId: `req-${i}`, ownerId: null },
  opts: { jobId: `order-${i}` },
});

/** A transport that accepts at once and counts what it sent, per Message-ID. */
function countingTransport(beforeAccept: (mail: { messageId: string }) => Promise<void> = async () => undefined): MailTransport & { sent: Map<string, number> } {
  const sent = new Map<string, number>();
  return {
    sent,
    send: async (mail) => {
      await beforeAccept(mail);
      sent.set(mail.messageId, (sent.get(mail.messageId) ?? 0) + 1);
      return { messageId: mail.messageId, response: "250 ok", accepted: [String(mail.to)], rejected: [] };
    },
    close: () => undefined,
  };
}

async function startOn(prefix: string, transport: MailTransport, env: Record<string, string> = {}, logLines: Array<Record<string, unknown>> = []): Promise<{ running: RunningWorker; queue: Queue<EmailJobData> }> {
  const queue = openEmailQueue(prefix, cleanup);
  const config = parseConfig({ ...testRedisEnv(), KEY_PREFIX: prefix, LOG_LEVEL: "info", HOST: "127.0.0.1", ...env });
  const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const running = await startWorker(config, { logger, transport });
  cleanup.push(() => running.close());
  return { running, queue };
}

describe.skipIf(TEST_REDIS_CLUSTER_NODES !== undefined)("done marks on a single Redis", () => {
  it("are sent ahead of each job's completion: Redis marks every effect done before it completes the job", async () => {
    const prefix = testPrefix();
    const jobs = 60;
    // What Redis executed, in order: the done mark's HSET inside the guard's script, and the
    // ZADD to the completed set inside BullMQ's moveToFinished.
    const executed: Array<{ kind: "done" | "completed"; jobId: string }> = [];
    const monitor = (await (connectTestRedis() as Redis).monitor()) as unknown as Redis;
    cleanup.push(async () => monitor.disconnect());
    const effectKeyStart = redisKeys(prefix).effect("email", "");
    const completedKey = `${bullPrefix(prefix)}:email:completed`;
    monitor.on("monitor", (_time: string, args: string[]) => {
      const [command, key] = [String(args[0]).toLowerCase(), String(args[1])];
      if (command === "hset" && key.startsWith(effectKeyStart) && args.includes("done")) executed.push({ kind: "done", jobId: key.slice(effectKeyStart.length) });
      if (command === "zadd" && key === completedKey) executed.push({ kind: "completed", jobId: String(args[3]) });
    });
    const transport = countingTransport();
    const { running, queue } = await startOn(prefix, transport, { WORKER_CONCURRENCY: "10" });
    expect(running.doneMarks).toBe("ordered");

    await queue.addBulk(Array.from({ length: jobs }, (_, i) => job(i)));
    await pollUntil(() => queue.getCompletedCount(), (n) => n === jobs, 20_000);
    await pollUntil(async () => executed.filter((e) => e.kind === "completed").length, (n) => n === jobs, 10_000);

    for (let i = 0; i < jobs; i += 1) {
      const order = executed.filter((e) => e.jobId === `order-${i}`).map((e) => e.kind);
      expect(order, `order-${i}`).toEqual(["done", "completed"]);
    }
    expect([...transport.sent.values()]).toEqual(Array.from({ length: jobs }, () => 1));
  });

  it("logs and counts a done mark that fails after the send, and completes the job with its one mail", async () => {
    const prefix = testPrefix();
    const admin = connectTestRedis();
    cleanup.push(() => admin.quit());
    // A stand-in for a Redis that refuses the done mark's write: while the mail is being sent,
    // the job's effect record becomes a value no script writes (a string), so the done mark's
    // script fails with WRONGTYPE after the SMTP side accepted.
    const transport = countingTransport(async () => {
      await admin.set(redisKeys(prefix).effect("email", "order-0"), "not a hash");
    });
    const logLines: Array<Record<string, unknown>> = [];
    const { running, queue } = await startOn(prefix, transport, { WORKER_METRICS_PORT: "0" }, logLines);
    expect(running.doneMarks).toBe("ordered");

    await queue.add(job(0).name, job(0).data, job(0).opts);
    await pollUntil(() => queue.getJobState("order-0"), (state) => state === "completed", 20_000);
    const failures = await pollUntil(async () => logLines.filter((line) => String(line.msg).startsWith("execution-guard done mark failed")), (lines) => lines.length > 0, 10_000);

    const completed = await queue.getJob("order-0");
    expect(completed!.returnvalue).toMatchObject({ messageId: "<email.order-0@localhost>", deduplicated: false });
    expect(transport.sent.get("<email.order-0@localhost>")).toBe(1);
    const line = failures.at(-1)![0]!;
    expect(line).toMatchObject({ level: 50, jobId: "order-0", queue: "email", requestId: "req-0" });
    expect(String((line.err as { message?: string }).message)).toMatch(/WRONGTYPE/);
    const metrics = await (await fetch(`http://127.0.0.1:${running.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^taskgate_guard_done_mark_failures_total\{queue="email"\} 1$/m);
  });
});
