/**
 * Makes dead email jobs on a test stack the way test/e2e/deadJobs.test.ts does: adds jobs with
 * BullMQ on the stack's prefix and fails each for good with a plain BullMQ worker.
 */
import { Queue, UnrecoverableError, Worker } from "bullmq";
import { bullPrefix, type EmailJobData } from "@taskgate/shared";
import { testConnection } from "../../../test/support/redis.js";
import { pollUntil, USER_A, type TestStack } from "../../../test/support/stack.js";

/** Adds `count` email jobs and kills each one; returns their ids in the order they were added. */
export async function makeDeadJobs(stack: TestStack, count: number, label: string): Promise<string[]> {
  const connection = testConnection();
  const queue = new Queue<EmailJobData>("email", { connection, prefix: bullPrefix(stack.prefix) });
  try {
    const before = await queue.getFailedCount();
    const jobs = await queue.addBulk(
      Array.from({ length: count }, (_, i) => ({
        name: "send",
        data: { email: { to: ["someone@example.com"], subject: `${label}-${i}`, text: "body" }, requestId: `req-${label}-${i}`, ownerId: USER_A.userId } as EmailJobData,
        opts: { attempts: 3 },
      })),
    );
    const worker = new Worker<EmailJobData>(
      "email",
      async () => {
        throw new UnrecoverableError("recipient rejected: 550 5.1.1 user unknown");
      },
      { connection, prefix: bullPrefix(stack.prefix), concurrency: 10 },
    );
    await pollUntil(() => queue.getFailedCount(), (n) => n >= before + count, 20_000);
    await worker.close();
    return jobs.map((job) => job.id!);
  } finally {
    await queue.close();
    await connection.quit();
  }
}
