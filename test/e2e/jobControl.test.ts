/**
 * Operator control of jobs over HTTP, with a real worker and a real SMTP server: cancelling a
 * job that has not started (never delivered; 409 once it started; one winner when it races the
 * worker) and rescheduling a scheduled one (delivered at the new time, not the old).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, USER_B, type TestStack } from "#test-support/stack.js";
import { pollUntil, sleep } from "#test-support/time.js";

let smtp: TestSmtpServer;
let stack: TestStack;
/** Subjects whose delivery the SMTP server holds for 1 s, so a job stays active that long. */
const SLOW = "slow-";

beforeAll(async () => {
  smtp = await startTestSmtp({ onMessage: (raw) => (raw.includes(`Subject: ${SLOW}`) ? sleep(1000).then(() => undefined) : undefined) });
  stack = await startStack({ env: { SMTP_URL: smtp.url, API_KEYS: API_KEYS_JSON, WORKER_CONCURRENCY: "50", RATE_LIMIT_RULES: "[]" } });
});
afterAll(async () => {
  await stack.close();
  await smtp.close();
});

const delivered = (subject: string) => smtp.received.filter((mail) => mail.parsed.subject === subject);

async function schedule(subject: string, delayMs: number, key = USER_A.key, headers: Record<string, string> = {}): Promise<string> {
  const res = await stack.request("POST", "/jobs/email/schedule", { key, headers, body: { to: "ann@example.com", subject, text: "x", delayMs } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobId: string }).jobId;
}

async function status(jobId: string, key = USER_A.key): Promise<{ state: string; cancelledAt?: string; scheduledFor?: string }> {
  return (await (await stack.request("GET", `/jobs/status/email/${jobId}`, { key })).json()) as { state: string };
}

const cancel = (jobId: string, key = USER_A.key) => stack.request("DELETE", `/jobs/email/${jobId}`, { key });

describe("cancelling a job", () => {
  it("never delivers a cancelled scheduled mail; status says cancelled; a second cancel is the same 200; a replay still answers its 202", async () => {
    const key = `cancel-${Date.now()}`;
    const jobId = await schedule("cancelled-one", 800, USER_A.key, { "idempotency-key": key });
    const first = await cancel(jobId);
    expect(first.status).toBe(200);
    const body = (await first.json()) as { state: string; cancelledAt: string };
    expect(body).toMatchObject({ jobId, queue: "email", state: "cancelled" });
    const again = await cancel(jobId);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(body);
    expect(await status(jobId)).toMatchObject({ state: "cancelled", cancelledAt: body.cancelledAt });

    const replay = await stack.request("POST", "/jobs/email/schedule", { key: USER_A.key, headers: { "idempotency-key": key }, body: { to: "ann@example.com", subject: "cancelled-one", text: "x", delayMs: 800 } });
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as { jobId: string }).jobId).toBe(jobId);

    // Past its time, and then some: it never went out.
    await sleep(1500);
    expect(delivered("cancelled-one")).toHaveLength(0);
  });

  it("is a 404 for another user's job, and an admin may cancel anyone's (audited)", async () => {
    const jobId = await schedule("someone-elses", 60_000);
    expect((await cancel(jobId, USER_B.key)).status).toBe(404);
    expect((await status(jobId)).state).toBe("scheduled");
    expect((await cancel(jobId, ADMIN.key)).status).toBe(200);
    const audit = (await (await stack.request("GET", "/monitoring/audit", { key: ADMIN.key })).json()) as { entries: Array<{ action: string; target: string; actor: string }> };
    expect(audit.entries[0]).toMatchObject({ action: "jobs.cancel", target: `email/${jobId}`, actor: ADMIN.userId });
  });

  it("is a 409 JOB_NOT_PENDING for an active job, which is then delivered once", async () => {
    const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { to: "ann@example.com", subject: `${SLOW}active`, text: "x" } });
    const { jobId } = (await res.json()) as { jobId: string };
    await pollUntil(() => status(jobId).then((s) => s.state), (state) => state === "active");
    const refused = await cancel(jobId);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: "JOB_NOT_PENDING", state: "active" });
    await pollUntil(() => status(jobId).then((s) => s.state), (state) => state === "completed");
    expect(delivered(`${SLOW}active`)).toHaveLength(1);
    const done = await cancel(jobId);
    expect(done.status).toBe(409);
    expect(await done.json()).toMatchObject({ code: "JOB_NOT_PENDING", state: "completed" });
  });

  it("has exactly one outcome when it races the worker: cancelled and never delivered, or 409 and delivered once", async () => {
    const count = 40;
    // All due at one instant; the cancels go out from 100 ms before it to 100 ms after, so
    // some land before a worker takes the job and some after.
    const dueAt = Date.now() + 1500;
    const jobIds = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const res = await stack.request("POST", "/jobs/email/schedule", { key: USER_A.key, body: { to: "ann@example.com", subject: `race-${i}`, text: "x", sendAt: new Date(dueAt).toISOString() } });
        expect(res.status).toBe(202);
        return ((await res.json()) as { jobId: string }).jobId;
      }),
    );
    await sleep(Math.max(0, dueAt - 100 - Date.now()));
    const outcomes = await Promise.all(
      jobIds.map(async (jobId, i) => {
        await sleep((i * 5) % 200);
        const res = await cancel(jobId);
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(outcomes.every((code) => code === 200 || code === 409)).toBe(true);
    // Let every job that was not cancelled finish.
    await pollUntil(
      () => Promise.all(jobIds.map((jobId) => status(jobId).then((s) => s.state))),
      (states) => states.every((state) => state === "cancelled" || state === "completed"),
      20_000,
    );
    await sleep(300);
    for (const [i, jobId] of jobIds.entries()) {
      const state = (await status(jobId)).state;
      const sent = delivered(`race-${i}`).length;
      if (outcomes[i] === 200) expect({ jobId, state, sent }).toEqual({ jobId, state: "cancelled", sent: 0 });
      else expect({ jobId, state, sent }).toEqual({ jobId, state: "completed", sent: 1 });
    }
  });
});

describe("rescheduling a mail", () => {
  it("moved later, it arrives after the new time and not at the old one", async () => {
    const jobId = await schedule("moved-later", 500);
    const newTime = Date.now() + 2000;
    const res = await stack.request("POST", `/jobs/email/${jobId}/reschedule`, { key: USER_A.key, body: { sendAt: new Date(newTime).toISOString() } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ jobId, state: "scheduled", scheduledFor: new Date(newTime).toISOString() });
    expect(await status(jobId)).toMatchObject({ state: "scheduled", scheduledFor: new Date(newTime).toISOString() });
    await sleep(1200);
    expect(delivered("moved-later")).toHaveLength(0);
    const [mail] = await pollUntil(async () => delivered("moved-later"), (mails) => mails.length > 0, 10_000).then((seen) => seen.at(-1)!);
    expect(mail!.receivedAt).toBeGreaterThanOrEqual(newTime);
    await sleep(300);
    expect(delivered("moved-later")).toHaveLength(1);
  });

  it("moved earlier, it arrives early", async () => {
    const jobId = await schedule("moved-earlier", 60_000);
    const res = await stack.request("POST", `/jobs/email/${jobId}/reschedule`, { key: USER_A.key, body: { delayMs: 200 } });
    expect(res.status).toBe(200);
    await pollUntil(async () => delivered("moved-earlier").length, (n) => n === 1, 10_000);
    // The mail is handed to SMTP before BullMQ records the completion, so the state follows it.
    await pollUntil(() => status(jobId).then((s) => s.state), (state) => state === "completed", 5_000);
    expect(delivered("moved-earlier")).toHaveLength(1);
  });

  it("is a 409 for a completed job, a 404 for someone else's, a 400 without exactly one time", async () => {
    const res = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { to: "ann@example.com", subject: "done-already", text: "x" } });
    const { jobId } = (await res.json()) as { jobId: string };
    await pollUntil(() => status(jobId).then((s) => s.state), (state) => state === "completed");
    const late = await stack.request("POST", `/jobs/email/${jobId}/reschedule`, { key: USER_A.key, body: { delayMs: 1000 } });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ code: "JOB_NOT_PENDING", state: "completed" });

    const scheduled = await schedule("not-yours", 60_000);
    expect((await stack.request("POST", `/jobs/email/${scheduled}/reschedule`, { key: USER_B.key, body: { delayMs: 1000 } })).status).toBe(404);
    expect((await stack.request("POST", `/jobs/email/${scheduled}/reschedule`, { key: USER_A.key, body: {} })).status).toBe(400);
    expect((await stack.request("POST", `/jobs/email/${scheduled}/reschedule`, { key: USER_A.key, body: { delayMs: 1, sendAt: new Date(Date.now() + 5000).toISOString() } })).status).toBe(400);
  });

  it("is a 409 JOB_NOT_PENDING for a cancelled job, as cancelling answers, and still a 404 for someone else's", async () => {
    const jobId = await schedule("cancelled-then-moved", 60_000);
    expect((await cancel(jobId)).status).toBe(200);
    const moved = await stack.request("POST", `/jobs/email/${jobId}/reschedule`, { key: USER_A.key, body: { delayMs: 1000 } });
    expect(moved.status).toBe(409);
    expect(await moved.json()).toMatchObject({ code: "JOB_NOT_PENDING", state: "cancelled" });
    expect((await stack.request("POST", `/jobs/email/${jobId}/reschedule`, { key: USER_B.key, body: { delayMs: 1000 } })).status).toBe(404);
    expect((await status(jobId)).state).toBe("cancelled");
  });
});
