import { afterEach, describe, expect, it } from "vitest";
import { startTestSmtp, type SmtpReply, type TestSmtpServer } from "#test-support/smtp.js";
import { startStack, type TestStack } from "#test-support/stack.js";
import { pollUntil } from "#test-support/time.js";

interface Status {
  state: string;
  attemptsMade: number;
  maxAttempts: number;
  failedReason?: string;
  nonRetryable?: boolean;
  attempts: Array<{ error: string; responseCode?: number }>;
}

let stack: TestStack | undefined;
let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await stack?.close();
  await smtp?.close();
  stack = undefined;
  smtp = undefined;
});

const FAST_RETRIES = { JOB_ATTEMPTS: "3", JOB_BACKOFF_MS: "50" };

async function post(s: TestStack, subject: string) {
  const res = await s.request("POST", "/jobs/email", { body: { to: "user@example.com", subject, text: "body" } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobId: string }).jobId;
}

async function status(s: TestStack, jobId: string): Promise<Status> {
  return (await (await s.request("GET", `/jobs/status/email/${jobId}`)).json()) as Status;
}

describe("failure handling", () => {
  it("sends a mail rejected with SMTP 550 to dead after exactly one attempt, nonRetryable, with the reason", async () => {
    smtp = await startTestSmtp({ onRecipient: () => ({ code: 550, message: "5.1.1 user unknown" }) });
    stack = await startStack({ env: { SMTP_URL: smtp.url, ...FAST_RETRIES } });
    const jobId = await post(stack, "bounce");
    const [final] = (await pollUntil(() => status(stack!, jobId), (s) => s.state === "dead")).slice(-1);
    expect(final!.attemptsMade).toBe(1);
    expect(final!.nonRetryable).toBe(true);
    expect(final!.failedReason).toMatch(/^recipient rejected: 550 .*user unknown/);
    expect(final!.attempts).toHaveLength(1);
    expect(final!.attempts[0]!.responseCode).toBe(550);
    expect(smtp.received).toHaveLength(0);
  });

  it("retries SMTP 451 twice, shows the job as retrying, then completes and delivers once", async () => {
    smtp = await startTestSmtp({ onMessage: (_raw, attempt) => (attempt <= 2 ? { code: 451, message: "4.3.0 try again later" } : undefined) });
    // A longer backoff so the retrying state is observable between attempts.
    stack = await startStack({ env: { SMTP_URL: smtp.url, JOB_ATTEMPTS: "5", JOB_BACKOFF_MS: "400" } });
    const jobId = await post(stack, "greylisted");
    const seen = await pollUntil(() => status(stack!, jobId).then((s) => s.state), (s) => s === "completed", 20_000, 25);
    expect(seen).toContain("retrying");
    const final = await status(stack, jobId);
    expect(final.attemptsMade).toBe(3);
    expect(final.attempts.map((a) => a.responseCode)).toEqual([451, 451]);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.dataAttempts).toBe(3);
  });

  it("sends a job to dead after JOB_ATTEMPTS when the SMTP server is down for good, not flagged nonRetryable", async () => {
    const down = await startTestSmtp();
    const url = down.url;
    await down.close();
    stack = await startStack({ env: { SMTP_URL: url, ...FAST_RETRIES } });
    const jobId = await post(stack, "nobody home");
    const [final] = (await pollUntil(() => status(stack!, jobId), (s) => s.state === "dead", 20_000)).slice(-1);
    expect(final!.attemptsMade).toBe(3);
    expect(final!.maxAttempts).toBe(3);
    expect(final!.nonRetryable).toBe(false);
    expect(final!.attempts).toHaveLength(3);
    expect(final!.failedReason).toMatch(/SMTP server unreachable/);
  });

  it("bounds a send that never ends with JOB_TIMEOUT_MS, retries it, and completes once the server answers", async () => {
    let hang = true;
    // Hung sends are held here; when the test lets go they are refused, so none counts as delivered.
    const held: Array<(reply: SmtpReply) => void> = [];
    smtp = await startTestSmtp({ onMessage: () => (hang ? new Promise<SmtpReply>((resolve) => held.push(resolve)) : undefined) });
    // Short lock: a timed-out send is ambiguous, so the retry waits for the guard's lease to lapse.
    stack = await startStack({ env: { SMTP_URL: smtp.url, JOB_ATTEMPTS: "3", JOB_BACKOFF_MS: "50", JOB_TIMEOUT_MS: "400", WORKER_LOCK_MS: "1000" } });
    const jobId = await post(stack, "hung server");
    await pollUntil(() => status(stack!, jobId), (s) => s.attempts.length >= 1, 15_000);
    const first = await status(stack, jobId);
    expect(first.attempts[0]!.error).toMatch(/longer than 400 ms/);
    expect(first.state).not.toBe("dead");
    hang = false;
    for (const refuse of held.splice(0)) refuse({ code: 451, message: "4.4.2 timed out" });
    await pollUntil(() => status(stack!, jobId).then((s) => s.state), (s) => s === "completed", 20_000);
    expect(smtp.received.filter((m) => m.parsed.subject === "hung server")).toHaveLength(1);
  });
});
