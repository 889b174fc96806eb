/**
 * What the fault tests that run real worker processes share: a fresh key prefix, an in-process
 * SMTP server, and a BullMQ handle on that prefix's email queue, all removed again by `close()`.
 */
import { Queue } from "bullmq";
import { bullPrefix } from "@taskgate/shared";
import { dropPrefixes, randomPrefix, testConnection } from "./redis.js";
import { startTestSmtp, type TestSmtpOptions, type TestSmtpServer } from "./smtp.js";

export interface MailQueueFixture {
  prefix: string;
  smtp: TestSmtpServer;
  queue: Queue;
  /** Closes the queue handle and the SMTP server and deletes every key under the prefix. */
  close(): Promise<void>;
}

export async function startMailQueue(smtpOptions: TestSmtpOptions = {}): Promise<MailQueueFixture> {
  const prefix = randomPrefix();
  const smtp = await startTestSmtp(smtpOptions);
  const connection = testConnection();
  const queue = new Queue("email", { connection, prefix: bullPrefix(prefix) });
  return {
    prefix,
    smtp,
    queue,
    async close() {
      await queue.close();
      await connection.quit();
      await smtp.close();
      await dropPrefixes(prefix);
    },
  };
}
