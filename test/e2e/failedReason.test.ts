/**
 * What a job's creator is told about its failure: a sentence, never the worker's detail (an
 * SMTP reply, a socket error naming a host and port, a path). Admins still get the detail, in
 * jobs.status and in the dead-job views.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeFailure, publicFailedReason } from "../../server/src/jobs/jobStatus.js";
import { JobTimeoutError } from "../../worker/src/email/processor.js";
import { classifyFailure } from "../../worker/src/email/classify.js";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { freePort } from "#test-support/ports.js";
import { pollUntil } from "#test-support/time.js";

/** Hosts, ports, paths and socket error codes: none may reach the creator. */
const DETAIL = /\d+\.\d+\.\d+\.\d+|:\d{2,5}|ECONN|\//;

interface Status {
  state: string;
  attemptsMade: number;
  failedReason?: string;
  attempts: Array<{ error: string; responseCode?: number }>;
}

let stack: TestStack;
beforeAll(async () => {
  // Nothing listens on this port: every attempt fails with ECONNREFUSED 127.0.0.1:<port>.
  const closedPort = await freePort();
  // A backoff long enough (250–750 ms with jitter) that the retrying state is seen between attempts.
  stack = await startStack({ env: { API_KEYS: API_KEYS_JSON, SMTP_URL: `smtp://127.0.0.1:${closedPort}`, JOB_ATTEMPTS: "2", JOB_BACKOFF_MS: "500" } });
});
afterAll(() => stack?.close());

async function statusAs(key: string, jobId: string): Promise<Status> {
  const res = await stack.request("GET", `/jobs/status/email/${jobId}`, { key });
  expect(res.status).toBe(200);
  return (await res.json()) as Status;
}

describe("failedReason", () => {
  it("tells the creator of a job failing against an unreachable SMTP server a sentence, and an admin the detail", async () => {
    const created = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { to: "someone@example.com", subject: "unreachable", text: "x" } });
    expect(created.status).toBe(202);
    const { jobId } = (await created.json()) as { jobId: string };

    // While it is retrying, and once it is dead.
    const seen = await pollUntil(() => statusAs(USER_A.key, jobId), (s) => s.state === "dead", 20_000, 25);
    const retrying = seen.find((s) => s.state === "retrying");
    expect(retrying?.failedReason).toBe("The mail server could not be reached; retrying.");
    const owner = seen.at(-1)!;
    expect(owner.failedReason).toBe("The mail server could not be reached; gave up after 2 attempts.");
    expect(owner.failedReason).not.toMatch(DETAIL);
    expect(owner.attempts).toHaveLength(2);
    for (const attempt of owner.attempts) {
      expect(attempt.error).toBe("The mail server could not be reached.");
      expect(attempt.error).not.toMatch(DETAIL);
    }

    const admin = await statusAs(ADMIN.key, jobId);
    expect(admin.failedReason).toMatch(/^SMTP server unreachable: .*ECONNREFUSED/);
    expect(admin.failedReason).toMatch(DETAIL);
    expect(admin.attempts.every((a) => /ECONNREFUSED/.test(a.error))).toBe(true);

    const dead = await stack.request("GET", `/dead-jobs/email/${jobId}`, { key: ADMIN.key });
    expect(dead.status).toBe(200);
    expect(((await dead.json()) as { failedReason: string }).failedReason).toMatch(/^SMTP server unreachable: .*ECONNREFUSED/);
  });
});

describe("the sentence for each failure the worker classifies", () => {
  // Real classifications of nodemailer-shaped errors, so a change of the worker's wording that
  // the server does not know shows up here rather than as the generic "Sending failed".
  const cases: Array<[string, unknown, string]> = [
    ["connection refused", Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:2525"), { code: "ECONNECTION" }), "The mail server could not be reached"],
    ["DNS failure", Object.assign(new Error("getaddrinfo ENOTFOUND smtp.internal.example"), { code: "EDNS" }), "The mail server could not be reached"],
    ["send timeout", new JobTimeoutError("the send took longer than 60000 ms"), "The mail server took too long to answer"],
    ["recipient 550", { code: "EENVELOPE", command: "RCPT TO", responseCode: 550, response: "550 5.1.1 <x@example.com>: user unknown" }, "The mail server rejected the recipient"],
    ["recipient 450", { code: "EENVELOPE", command: "RCPT TO", responseCode: 450, response: "450 4.2.0 mailbox busy" }, "The mail server temporarily refused the recipient"],
    ["message 554", { code: "EMESSAGE", command: "DATA", responseCode: 554, response: "554 5.7.1 rejected by mx1.example.com [10.0.0.7]" }, "The mail server refused the message"],
    ["message 451", { command: "DATA", responseCode: 451, response: "451 4.3.0 try again later" }, "The mail server temporarily refused the message"],
    ["auth 535", { code: "EAUTH", command: "AUTH PLAIN", responseCode: 535, response: "535 5.7.8 bad credentials" }, "The mail server did not accept our sign-in"],
    ["unbuildable message", Object.assign(new Error("Invalid attachment path /etc/passwd"), { code: "EMESSAGE" }), "The message could not be built from the job's data"],
    ["anything else", new Error("ENOENT: no such file or directory, open '/var/lib/taskgate/x'"), "Sending failed"],
  ];

  it.each(cases)("%s", (_name, error, expected) => {
    const { reason } = classifyFailure(error);
    expect(describeFailure(reason)).toBe(expected);
    for (const state of ["retrying", "dead", "completed"] as const) expect(publicFailedReason(reason, state, 3, false)).not.toMatch(DETAIL);
  });

  it("names BullMQ's stalled-job reason", () => {
    expect(describeFailure("job stalled more than allowable limit")).toBe("The job was interrupted too many times");
  });
});
