/**
 * What the in-process worker tests share: clean-up steps run after each test, newest first
 * (workers close before the queue and its connection), and the test prefix's email queue on a
 * connection of its own.
 */
import { Queue } from "bullmq";
import { afterEach } from "vitest";
import { bullPrefix, type EmailJobData } from "@taskgate/shared";
import { testConnection } from "#test-support/redis.js";

/** Registers an afterEach that runs the steps pushed during the test, newest first, ignoring their failures. */
export function cleanupAfterEach(): Array<() => Promise<unknown>> {
  const steps: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step().catch(() => undefined);
  });
  return steps;
}

/** The email queue under `prefix`, closed (with its connection) by `cleanup`. */
export function openEmailQueue(prefix: string, cleanup: Array<() => Promise<unknown>>): Queue<EmailJobData> {
  const connection = testConnection();
  const queue = new Queue<EmailJobData>("email", { connection, prefix: bullPrefix(prefix) });
  cleanup.push(async () => {
    await queue.close();
    await connection.quit();
  });
  return queue;
}
