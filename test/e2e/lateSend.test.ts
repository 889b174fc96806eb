/**
 * A send that outlives JOB_TIMEOUT_MS is not sent twice. The attempt fails at the timeout (and
 * is retried), but the send itself cannot be called back and may still be accepted: its claim
 * stays renewed until it settles, so the retry waits instead of taking over once the lease ran
 * out, and when the late send is accepted its done mark lets the retry complete without sending.
 * Real SMTP server (holding its answer to the first message), real Redis and BullMQ.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisKeys } from "@taskgate/shared";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { startStack, type TestStack } from "#test-support/stack.js";
import { pollUntil, sleep } from "#test-support/time.js";

const LOCK_MS = 1000;
let smtp: TestSmtpServer;
let stack: TestStack;
let acceptFirst!: () => void;
const firstHeld = new Promise<void>((resolve) => (acceptFirst = resolve));

beforeAll(async () => {
  // The first message is held until the test lets it through; any later one is answered at once.
  smtp = await startTestSmtp({ onMessage: async (_raw, attempt) => (attempt === 1 ? firstHeld.then(() => undefined) : undefined) });
  stack = await startStack({ env: { SMTP_URL: smtp.url, JOB_TIMEOUT_MS: "300", WORKER_LOCK_MS: String(LOCK_MS), JOB_BACKOFF_MS: "50", JOB_ATTEMPTS: "5" } });
});
afterAll(async () => {
  acceptFirst();
  await stack.close();
  await smtp.close();
});

describe("a send slower than JOB_TIMEOUT_MS", () => {
  it("keeps its claim while it runs, so the retry waits; accepted late, the mail is sent once and the job completes", async () => {
    const res = await stack.request("POST", "/jobs/email", { body: { to: "ann@example.com", subject: "Slow server", text: "Once." } });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const { redis, config } = stack.api.deps;
    const effectKey = redisKeys(config.keyPrefix).effect("email", jobId);

    await pollUntil(async () => smtp.dataAttempts, (n) => n === 1);
    const leaseBefore = Number(await redis.hget(effectKey, "leaseUntil"));
    // Long past the attempt's timeout and past the lease it had then: without the renewal the
    // retry would have taken over and sent a second copy by now.
    await sleep(LOCK_MS * 2.5);
    expect(smtp.dataAttempts).toBe(1);
    expect(Number(await redis.hget(effectKey, "leaseUntil"))).toBeGreaterThan(leaseBefore);

    acceptFirst();
    const read = async () => (await (await stack.request("GET", `/jobs/status/email/${jobId}`)).json()) as { state: string; result?: { deduplicated?: boolean } };
    const seen = await pollUntil(read, (status) => status.state === "completed", 20_000);
    expect(seen.at(-1)!.result).toMatchObject({ deduplicated: true });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.dataAttempts).toBe(1);
  });
});
