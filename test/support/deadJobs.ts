/**
 * Dead jobs in bulk for tests: email jobs added straight to a stack's queue and failed for good
 * by a plain BullMQ worker whose processor throws UnrecoverableError (no SMTP involved).
 */
import { Queue, UnrecoverableError, Worker } from "bullmq";
import { bullPrefix, type EmailJobData } from "@taskgate/shared";
import { testConnection } from "./redis.js";
import { USER_A, type TestStack } from "./stack.js";
import { pollUntil } from "./time.js";

/** Job data as the API would have stored it, owned by `ownerId`. */
function emailData(subject: string, ownerId: string, to: string): EmailJobData {
  return { email: { to: [to], subject, text: "body" }, requestId: `req-${subject}`, ownerId } as EmailJobData;
}

/**
 * Adds `count` jobs on the stack's queue and waits until all are dead; returns their ids in the
 * order added. Their subjects are `<label>-<i>`, their recipient `to` (default someone@example.com).
 */
export async function makeDeadJobs(stack: Pick<TestStack, "prefix">, count: number, label: string, ownerId = USER_A.userId, to = "someone@example.com"): Promise<string[]> {
  const { prefix } = stack;
  const connection = testConnection();
  const queue = new Queue<EmailJobData>("email", { connection, prefix: bullPrefix(prefix) });
  let worker: Worker<EmailJobData> | undefined;
  try {
    const before = await queue.getFailedCount();
    const jobs = await queue.addBulk(Array.from({ length: count }, (_, i) => ({ name: "send", data: emailData(`${label}-${i}`, ownerId, to), opts: { attempts: 3 } })));
    worker = new Worker<EmailJobData>(
      "email",
      async () => {
        throw new UnrecoverableError("recipient rejected: 550 5.1.1 user unknown");
      },
      { connection, prefix: bullPrefix(prefix), concurrency: 50 },
    );
    await pollUntil(() => queue.getFailedCount(), (n) => n >= before + count, 20_000);
    return jobs.map((job) => job.id!);
  } finally {
    await worker?.close();
    await queue.close();
    await connection.quit();
  }
}
