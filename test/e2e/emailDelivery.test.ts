import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "@taskgate/server";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { pollUntil, sleep } from "#test-support/time.js";

let smtp: TestSmtpServer;
let stack: TestStack;

beforeAll(async () => {
  // A slow server (300 ms per message) so a status poll can see the job while it is active.
  smtp = await startTestSmtp({ onMessage: () => sleep(300).then(() => undefined) });
  stack = await startStack({ env: { SMTP_URL: smtp.url, API_KEYS: API_KEYS_JSON, MAIL_FROM: "Taskgate <no-reply@taskgate.test>" } });
});
afterAll(async () => {
  await stack.close();
  await smtp.close();
});

async function status(jobId: string) {
  const res = await stack.request("GET", `/jobs/status/email/${jobId}`, { key: USER_A.key });
  return (await res.json()) as { state: string; attemptsMade: number; result?: { messageId: string } };
}

describe("email jobs end to end", () => {
  it("delivers a mail posted over REST with its recipients, subject, body and job-derived Message-ID, walking waiting → active → completed", async () => {
    const res = await stack.request("POST", "/jobs/email", {
      key: USER_A.key,
      body: { to: ["ann@example.com", "bob@example.com"], cc: "cat@example.com", subject: "Quarterly report", text: "Numbers attached.", html: "<p>Numbers attached.</p>" },
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobId: string; queue: string; state: string; statusUrl: string };
    expect(body).toMatchObject({ queue: "email", state: "waiting" });
    expect(res.headers.get("location")).toBe(body.statusUrl);
    expect(body.statusUrl).toBe(`/jobs/status/email/${body.jobId}`);

    const states = await pollUntil(() => status(body.jobId).then((s) => s.state), (s) => s === "completed");
    expect(states).toContain("active");
    expect(states.at(-1)).toBe("completed");
    expect(states.indexOf("active")).toBeLessThan(states.indexOf("completed"));

    const mail = smtp.received.find((m) => m.parsed.subject === "Quarterly report");
    expect(mail).toBeDefined();
    expect(mail!.envelopeTo.sort()).toEqual(["ann@example.com", "bob@example.com", "cat@example.com"]);
    expect(mail!.parsed.text?.trim()).toBe("Numbers attached.");
    expect(mail!.parsed.html).toContain("<p>Numbers attached.</p>");
    expect(mail!.messageId).toBe(`<email.${body.jobId}@taskgate.test>`);
    expect(mail!.parsed.headers.get("x-request-id")).toBe(res.headers.get("x-request-id"));
    const final = await status(body.jobId);
    expect(final.result?.messageId).toBe(mail!.messageId);
  });

  it("delivers a mail created through the tRPC client with the same procedure", async () => {
    const client = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${stack.url}/trpc`, transformer: superjson, headers: { authorization: `Bearer ${USER_A.key}` } })],
    });
    const created = await client.jobs.email.create.mutate({ to: "dan@example.com", subject: "Via tRPC", text: "typed end to end" });
    expect(created.state).toBe("waiting");
    await pollUntil(() => client.jobs.status.query({ queue: "email", jobId: created.jobId }).then((s) => s.state), (s) => s === "completed");
    const mail = smtp.received.find((m) => m.parsed.subject === "Via tRPC");
    expect(mail?.envelopeTo).toEqual(["dan@example.com"]);
    expect(mail?.parsed.text?.trim()).toBe("typed end to end");
    expect(mail?.messageId).toBe(`<email.${created.jobId}@taskgate.test>`);
    const status = await client.jobs.status.query({ queue: "email", jobId: created.jobId });
    expect(status.createdAt).toBeInstanceOf(Date);
  });
});

describe("scheduled email", () => {
  it("keeps a delayMs job scheduled, then delivers it no earlier than its time", async () => {
    const res = await stack.request("POST", "/jobs/email/schedule", { key: USER_A.key, body: { to: "eve@example.com", subject: "Delayed 1500", text: "later", delayMs: 1500 } });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobId: string; state: string; scheduledFor: string };
    expect(body.state).toBe("scheduled");
    const scheduledFor = Date.parse(body.scheduledFor);
    expect((await status(body.jobId)).state).toBe("scheduled");
    await pollUntil(() => status(body.jobId).then((s) => s.state), (s) => s === "completed", 20_000);
    const mail = smtp.received.find((m) => m.parsed.subject === "Delayed 1500");
    expect(mail!.receivedAt).toBeGreaterThanOrEqual(scheduledFor);
  });

  it("delivers a sendAt job no earlier than sendAt", async () => {
    const sendAt = new Date(Date.now() + 1500);
    const res = await stack.request("POST", "/jobs/email/schedule", { key: USER_A.key, body: { to: "fay@example.com", subject: "At a time", text: "then", sendAt: sendAt.toISOString() } });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { jobId: string; state: string; scheduledFor: string };
    expect(body.state).toBe("scheduled");
    expect(Math.abs(Date.parse(body.scheduledFor) - sendAt.getTime())).toBeLessThan(1000);
    await pollUntil(() => status(body.jobId).then((s) => s.state), (s) => s === "completed", 20_000);
    const mail = smtp.received.find((m) => m.parsed.subject === "At a time");
    expect(mail!.receivedAt).toBeGreaterThanOrEqual(sendAt.getTime());
  });

  it.each([
    ["sendAt in the past", { sendAt: new Date(Date.now() - 60_000).toISOString() }, "sendAt"],
    ["sendAt more than 30 days ahead", { sendAt: new Date(Date.now() + 31 * 86_400_000).toISOString() }, "sendAt"],
    ["sendAt together with delayMs", { sendAt: new Date(Date.now() + 60_000).toISOString(), delayMs: 1000 }, "sendAt"],
    ["neither sendAt nor delayMs", {}, "sendAt"],
    ["sendAt without a zone", { sendAt: "2030-01-01T10:00:00" }, "sendAt"],
    ["delayMs over 30 days", { delayMs: 31 * 86_400_000 }, "delayMs"],
  ])("answers 400 for %s", async (_name, timing, path) => {
    const res = await stack.request("POST", "/jobs/email/schedule", { key: USER_A.key, body: { to: "a@example.com", subject: "x", text: "y", ...timing } });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as { code: string; errors: Array<{ path: string }> };
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors.map((e) => e.path)).toContain(path);
  });
});
