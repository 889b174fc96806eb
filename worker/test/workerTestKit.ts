/**
 * What the in-process worker tests share: the test prefix's email queue on a connection of its
 * own, closed by the test's clean-up (after the workers, which were pushed later).
 */
import { Queue } from "bullmq";
import { bullPrefix, type EmailJobData } from "@taskgate/shared";
import type { CleanupSteps } from "#test-support/cleanup.js";
import { testConnection } from "#test-support/redis.js";

/** The email queue under `prefix`, closed (with its connection) by `cleanup`. */
export function openEmailQueue(prefix: string, cleanup: CleanupSteps): Queue<EmailJobData> {
  const connection = testConnection();
  const queue = new Queue<EmailJobData>("email", { connection, prefix: bullPrefix(prefix) });
  cleanup.push(async () => {
    await queue.close();
    await connection.quit();
  });
  return queue;
}
