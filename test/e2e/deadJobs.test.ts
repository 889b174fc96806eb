/**
 * Dead jobs end to end (issue 7): real Redis, a real SMTP server in-process, the API over REST
 * and tRPC. Bulk dead jobs are made with a plain BullMQ worker that fails every job for good.
 */
import { Queue, UnrecoverableError, Worker } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import { bullPrefix, type EmailJobData } from "@taskgate/shared";
import { makeDeadJobs } from "#test-support/deadJobs.js";
import { testConnection, type TestRedis } from "#test-support/redis.js";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { pollUntil } from "#test-support/time.js";

interface Attempt {
  at: string;
  error: string;
  responseCode?: number;
  stack?: string;
}

interface DeadJob {
  jobId: string;
  data: EmailJobData;
  failedReason: string;
  nonRetryable: boolean;
  attemptsMade: number;
  attempts: Attempt[];
  createdAt: string;
  failedAt: string;
}

interface DeadJobsPage {
  queue: string;
  total: number;
  jobs: DeadJob[];
  nextCursor: string | null;
}

interface Problem {
  status: number;
  code: string;
}

const FAST_RETRIES = { JOB_ATTEMPTS: "3", JOB_BACKOFF_MS: "50" };

let stack: TestStack | undefined;
let smtp: TestSmtpServer | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await stack?.close();
  await smtp?.close();
  stack = undefined;
  smtp = undefined;
});


async function postEmail(s: TestStack, subject: string, to = "user@example.com"): Promise<string> {
  const res = await s.request("POST", "/jobs/email", { key: USER_A.key, body: { to, subject, text: "body" } });
  expect(res.status).toBe(202);
  return ((await res.json()) as { jobId: string }).jobId;
}

/** Waits (reading BullMQ directly, so no rate limit is spent) until the job is in `state`. */
async function waitForState(s: TestStack, jobId: string, state: string): Promise<void> {
  await pollUntil(() => s.api.deps.queues.email.getJobState(jobId), (value) => value === state, 20_000);
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function listPage(s: TestStack, query = ""): Promise<DeadJobsPage> {
  return json<DeadJobsPage>(await s.request("GET", `/dead-jobs/email${query}`, { key: ADMIN.key }), 200);
}

/** A connection for a BullMQ worker in the test (workers need maxRetriesPerRequest: null). */
function workerConnection(): TestRedis {
  const redis = testConnection();
  cleanups.push(() => redis.quit());
  return redis;
}


describe("finding dead jobs", () => {
  it("lists a bounced job (SMTP 550 on RCPT) with the reason in words and nonRetryable: true", async () => {
    smtp = await startTestSmtp({ onRecipient: (address) => (address.startsWith("gone@") ? { code: 550, message: "5.1.1 user unknown" } : undefined) });
    stack = await startStack({ env: { SMTP_URL: smtp.url, API_KEYS: API_KEYS_JSON, ...FAST_RETRIES } });
    const jobId = await postEmail(stack, "bounce", "gone@example.com");
    await waitForState(stack, jobId, "failed");

    const page = await listPage(stack);
    expect(page).toMatchObject({ queue: "email", total: 1, nextCursor: null });
    const dead = page.jobs.find((job) => job.jobId === jobId);
    expect(dead).toBeDefined();
    expect(dead!.failedReason).toMatch(/^recipient rejected: 550 .*user unknown/);
    expect(dead!.nonRetryable).toBe(true);
    expect(dead!.attemptsMade).toBe(1);
    expect(dead!.attempts).toHaveLength(1);
    expect(dead!.attempts[0]!.responseCode).toBe(550);
    expect(dead!.attempts[0]!.stack).toBeUndefined();
    // The job as submitted, returned as data.
    expect(dead!.data.email).toMatchObject({ to: "gone@example.com", subject: "bounce", text: "body" });
    expect(Date.parse(dead!.createdAt)).toBeLessThanOrEqual(Date.parse(dead!.failedAt));
    expect(smtp.received).toHaveLength(0);
  });

  it("shows every attempt of a job that exhausted its attempts, each with time and error, and stack traces in the single-job view", async () => {
    const down = await startTestSmtp();
    const url = down.url;
    await down.close();
    stack = await startStack({ env: { SMTP_URL: url, API_KEYS: API_KEYS_JSON, ...FAST_RETRIES } });
    const jobId = await postEmail(stack, "nobody home");
    await waitForState(stack, jobId, "failed");

    const listed = (await listPage(stack)).jobs.find((job) => job.jobId === jobId);
    expect(listed).toMatchObject({ nonRetryable: false, attemptsMade: 3 });
    expect(listed!.failedReason).toMatch(/SMTP server unreachable/);
    expect(listed!.attempts).toHaveLength(3);
    for (const attempt of listed!.attempts) {
      expect(Number.isNaN(Date.parse(attempt.at))).toBe(false);
      expect(attempt.error).toMatch(/SMTP server unreachable/);
    }
    const times = listed!.attempts.map((a) => Date.parse(a.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const detail = await json<DeadJob & { queue: string; maxAttempts: number }>(await stack.request("GET", `/dead-jobs/email/${jobId}`, { key: ADMIN.key }), 200);
    expect(detail).toMatchObject({ jobId, queue: "email", maxAttempts: 3, attemptsMade: 3, nonRetryable: false });
    expect(detail.attempts).toHaveLength(3);
    for (const attempt of detail.attempts) {
      expect(attempt.error).toMatch(/SMTP server unreachable/);
      expect(attempt.stack).toMatch(/\n\s+at /);
    }
  });
});

describe("retrying dead jobs", () => {
  it("retries one dead job after the cause is fixed: fresh attempts, completed, delivered exactly once", async () => {
    const mailbox = { exists: false };
    smtp = await startTestSmtp({ onRecipient: () => (mailbox.exists ? undefined : { code: 550, message: "5.1.1 user unknown" }) });
    stack = await startStack({ env: { SMTP_URL: smtp.url, API_KEYS: API_KEYS_JSON, ...FAST_RETRIES } });
    const jobId = await postEmail(stack, "fixed later", "later@example.com");
    await waitForState(stack, jobId, "failed");

    mailbox.exists = true;
    const res = await stack.request("POST", `/dead-jobs/email/${jobId}/retry`, { key: ADMIN.key });
    const body = await json<{ jobId: string; state: string; statusUrl: string }>(res, 202);
    expect(body).toMatchObject({ jobId, state: "waiting", statusUrl: `/jobs/status/email/${jobId}` });
    expect(res.headers.get("location")).toBe(body.statusUrl);

    await waitForState(stack, jobId, "completed");
    await smtp.waitFor(1);
    const status = await json<{ state: string; attemptsMade: number; attempts: Attempt[] }>(await stack.request("GET", `/jobs/status/email/${jobId}`, { key: USER_A.key }), 200);
    expect(status.state).toBe("completed");
    // The retry started from zero attempts; the dead run's attempt stays in the history.
    expect(status.attemptsMade).toBe(1);
    expect(status.attempts.map((a) => a.responseCode)).toEqual([550]);
    expect(smtp.received.filter((mail) => mail.parsed.subject === "fixed later")).toHaveLength(1);

    expect((await listPage(stack)).jobs.map((job) => job.jobId)).not.toContain(jobId);
    // It is not dead any more, so it cannot be retried again.
    const again = await json<Problem>(await stack.request("POST", `/dead-jobs/email/${jobId}/retry`, { key: ADMIN.key }), 404);
    expect(again.code).toBe("NOT_FOUND");
  });

  it("does not resend a retried job whose mail was already delivered: the execution guard's done record holds", async () => {
    smtp = await startTestSmtp();
    stack = await startStack({ env: { SMTP_URL: smtp.url, API_KEYS: API_KEYS_JSON, ...FAST_RETRIES } });
    const jobId = await postEmail(stack, "already delivered");
    await waitForState(stack, jobId, "completed");
    await smtp.waitFor(1);

    // Force the delivered job into the dead set: with Taskgate's worker paused, run it once more
    // under a worker that fails it for good.
    await stack.worker!.worker.pause();
    const connection = workerConnection();
    const queue = new Queue("email", { connection, prefix: bullPrefix(stack.prefix) });
    const job = (await queue.getJob(jobId))!;
    await job.retry("completed");
    const killer = new Worker(
      "email",
      async () => {
        throw new UnrecoverableError("forced into the dead set by the test");
      },
      { connection, prefix: bullPrefix(stack.prefix) },
    );
    await waitForState(stack, jobId, "failed");
    await killer.close();
    await queue.close();
    stack.worker!.worker.resume();

    const res = await stack.request("POST", `/dead-jobs/email/${jobId}/retry`, { key: ADMIN.key });
    expect(res.status).toBe(202);
    await waitForState(stack, jobId, "completed");
    const status = await json<{ result: { deduplicated: boolean } }>(await stack.request("GET", `/jobs/status/email/${jobId}`, { key: ADMIN.key }), 200);
    expect(status.result.deduplicated).toBe(true);
    expect(smtp.received.filter((mail) => mail.parsed.subject === "already delivered")).toHaveLength(1);
    expect(smtp.dataAttempts).toBe(1);
  });

  it("retries all 500 dead jobs with fresh attempts while health requests fired meanwhile all answer 200", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    const s = stack;
    const ids = await makeDeadJobs(s, 500, "bulk");
    expect((await listPage(s, "?limit=1")).total).toBe(500);

    let finished = false;
    const retryAll = s.request("POST", "/dead-jobs/email/retry", { key: ADMIN.key }).finally(() => (finished = true));
    const healthStatuses: number[] = [];
    const probe = async () => {
      do {
        const res = await s.request("GET", "/health");
        await res.arrayBuffer();
        healthStatuses.push(res.status);
      } while (!finished);
    };
    await Promise.all([probe(), probe(), probe(), probe()]);
    const body = await json<{ retried: number }>(await retryAll, 202);

    expect(body.retried).toBe(500);
    expect(healthStatuses.length).toBeGreaterThanOrEqual(4);
    expect(healthStatuses.every((status) => status === 200)).toBe(true);
    const queue = s.api.deps.queues.email;
    expect(await queue.getFailedCount()).toBe(0);
    expect(await queue.getWaitingCount()).toBe(500);
    const sample = await Promise.all([ids[0]!, ids[250]!, ids[499]!].map((id) => queue.getJob(id)));
    expect(sample.map((job) => job?.attemptsMade)).toEqual([0, 0, 0]);
    expect((await listPage(s)).total).toBe(0);
  });

  it("retries only the dead jobs among the given jobIds, and accepts an empty body as 'all'", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    const ids = await makeDeadJobs(stack, 4, "some");
    const picked = await json<{ retried: number }>(
      await stack.request("POST", "/dead-jobs/email/retry", { key: ADMIN.key, body: { jobIds: [ids[0], ids[1], ids[1], "no-such-job"] } }),
      202,
    );
    expect(picked.retried).toBe(2);
    expect((await listPage(stack)).jobs.map((job) => job.jobId).sort()).toEqual([ids[2], ids[3]].sort());

    const rest = await json<{ retried: number }>(await stack.request("POST", "/dead-jobs/email/retry", { key: ADMIN.key, body: {} }), 202);
    expect(rest.retried).toBe(2);
    const none = await json<{ retried: number }>(await stack.request("POST", "/dead-jobs/email/retry", { key: ADMIN.key }), 202);
    expect(none.retried).toBe(0);

    const badList = await json<Problem>(await stack.request("POST", "/dead-jobs/email/retry", { key: ADMIN.key, body: [] }), 400);
    expect(badList.code).toBe("VALIDATION_FAILED");
  });

  it("gives a job that died of stalls a fresh stall count, one by one and in bulk", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    const ids = await makeDeadJobs(stack, 2, "stalled");
    const redis = testConnection();
    try {
      // What BullMQ's stalled-job check leaves on a job it failed for stalling too often.
      const jobKey = (jobId: string) => `${bullPrefix(stack!.prefix)}:email:${jobId}`;
      for (const jobId of ids) await redis.hset(jobKey(jobId), "stc", "3");
      expect(await json<{ state: string }>(await stack.request("POST", `/dead-jobs/email/${ids[0]}/retry`, { key: ADMIN.key }), 202)).toMatchObject({ state: "waiting" });
      expect(await json<{ retried: number }>(await stack.request("POST", "/dead-jobs/email/retry", { key: ADMIN.key, body: { jobIds: [ids[1]] } }), 202)).toEqual({ matched: 1, retried: 1 });
      for (const jobId of ids) {
        expect(await redis.hget(jobKey(jobId), "stc")).toBeNull();
        expect(await redis.hget(jobKey(jobId), "atm")).toBeNull();
      }
    } finally {
      await redis.quit();
    }
  });
});

describe("deleting and paging", () => {
  it("deletes a dead job: gone from the list and from status (404)", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    const [doomed, kept] = await makeDeadJobs(stack, 2, "delete");
    const res = await stack.request("DELETE", `/dead-jobs/email/${doomed}`, { key: ADMIN.key });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");

    const page = await listPage(stack);
    expect(page.total).toBe(1);
    expect(page.jobs.map((job) => job.jobId)).toEqual([kept]);
    expect((await json<Problem>(await stack.request("GET", `/jobs/status/email/${doomed}`, { key: ADMIN.key }), 404)).code).toBe("NOT_FOUND");
    expect((await json<Problem>(await stack.request("GET", `/dead-jobs/email/${doomed}`, { key: ADMIN.key }), 404)).code).toBe("NOT_FOUND");
    expect((await json<Problem>(await stack.request("DELETE", `/dead-jobs/email/${doomed}`, { key: ADMIN.key }), 404)).code).toBe("NOT_FOUND");
  });

  it("does not delete or show a job that is not dead", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    const waiting = await postEmail(stack, "still waiting");
    expect((await json<Problem>(await stack.request("DELETE", `/dead-jobs/email/${waiting}`, { key: ADMIN.key }), 404)).code).toBe("NOT_FOUND");
    expect((await json<Problem>(await stack.request("GET", `/dead-jobs/email/${waiting}`, { key: ADMIN.key }), 404)).code).toBe("NOT_FOUND");
    expect(await stack.api.deps.queues.email.getJobState(waiting)).toBe("waiting");
  });

  it("answers 404, not 500, for job ids that name BullMQ's own keys (events, wait, id, meta, failed)", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    await makeDeadJobs(stack, 1, "keys");
    await postEmail(stack, "makes the wait list and events stream exist");
    const names = ["events", "wait", "id", "meta", "failed"];
    for (const name of names) {
      for (const [method, path] of [["GET", `/dead-jobs/email/${name}`], ["POST", `/dead-jobs/email/${name}/retry`], ["DELETE", `/dead-jobs/email/${name}`]] as const) {
        const problem = await json<Problem>(await stack.request(method, path, { key: ADMIN.key }), 404);
        expect(problem.code, `${method} ${path}`).toBe("NOT_FOUND");
      }
    }
    const picked = await json<{ retried: number }>(await stack.request("POST", "/dead-jobs/email/retry", { key: ADMIN.key, body: { jobIds: names } }), 202);
    expect(picked.retried).toBe(0);
    expect((await listPage(stack)).total).toBe(1);
  });

  it("walks 45 dead jobs with limit=20 in three pages, newest first, none twice, none missing, stable while new jobs die", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    const ids = await makeDeadJobs(stack, 45, "page");

    const first = await listPage(stack, "?limit=20");
    expect(first.total).toBe(45);
    expect(first.jobs).toHaveLength(20);
    expect(first.nextCursor).toEqual(expect.any(String));

    // Jobs that die between pages are newer than the cursor: they shift nothing.
    const late = await makeDeadJobs(stack, 5, "late");
    const second = await listPage(stack, `?limit=20&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.total).toBe(50);
    expect(second.jobs).toHaveLength(20);
    const third = await listPage(stack, `?limit=20&cursor=${encodeURIComponent(second.nextCursor!)}`);
    expect(third.jobs).toHaveLength(5);
    expect(third.nextCursor).toBeNull();

    const walked = [...first.jobs, ...second.jobs, ...third.jobs];
    const walkedIds = walked.map((job) => job.jobId);
    expect(new Set(walkedIds).size).toBe(45);
    expect([...walkedIds].sort()).toEqual([...ids].sort());
    expect(walkedIds.some((id) => late.includes(id))).toBe(false);
    const failedAt = walked.map((job) => Date.parse(job.failedAt));
    expect([...failedAt].sort((a, b) => b - a)).toEqual(failedAt);

    // A fresh walk now sees all 50, the late ones first.
    const fresh = await listPage(stack, "?limit=100");
    expect(fresh.jobs).toHaveLength(50);
    expect(fresh.jobs.slice(0, 5).map((job) => job.jobId).sort()).toEqual([...late].sort());
  });

  it("rejects a bad limit or cursor with 400 VALIDATION_FAILED", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    for (const query of ["?limit=0", "?limit=101", "?limit=abc", "?limit=1.5", "?cursor=not-a-cursor"]) {
      const problem = await json<Problem & { errors: Array<{ path: string }> }>(await stack.request("GET", `/dead-jobs/email${query}`, { key: ADMIN.key }), 400);
      expect(problem.code).toBe("VALIDATION_FAILED");
      expect(problem.errors.map((e) => e.path)).toEqual([query.includes("cursor") ? "cursor" : "limit"]);
    }
    expect((await listPage(stack, "?limit=5")).jobs).toEqual([]);
  });
});

describe("access to dead jobs", () => {
  const paths: Array<[string, string]> = [
    ["GET", "/dead-jobs/email"],
    ["GET", "/dead-jobs/email/some-job"],
    ["POST", "/dead-jobs/email/some-job/retry"],
    ["POST", "/dead-jobs/email/retry"],
    ["DELETE", "/dead-jobs/email/some-job"],
  ];

  it("answers 403 FORBIDDEN to a non-admin key and 401 without a key on every dead-jobs path; an admin gets through", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    for (const [method, path] of paths) {
      const forbidden = await json<Problem>(await stack.request(method, path, { key: USER_A.key }), 403);
      expect(forbidden.code, `${method} ${path}`).toBe("FORBIDDEN");
      const anonymous = await stack.request(method, path);
      expect((await json<Problem>(anonymous, 401)).code, `${method} ${path}`).toBe("UNAUTHORIZED");
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
    const expected: Record<string, number> = {
      "GET /dead-jobs/email": 200,
      "GET /dead-jobs/email/some-job": 404,
      "POST /dead-jobs/email/some-job/retry": 404,
      "POST /dead-jobs/email/retry": 202,
      "DELETE /dead-jobs/email/some-job": 404,
    };
    for (const [method, path] of paths) {
      const res = await stack.request(method, path, { key: ADMIN.key });
      expect(res.status, `${method} ${path}`).toBe(expected[`${method} ${path}`]);
    }
  });

  it("serves the same procedures over tRPC: admin 200, non-admin 403, unknown queue 404", async () => {
    stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    const [jobId] = await makeDeadJobs(stack, 1, "trpc");
    const list = (input: unknown, key: string) =>
      fetch(`${stack!.url}/trpc/deadJobs.list?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers: { authorization: `Bearer ${key}` } });

    const ok = await json<{ result: { data: { json: DeadJobsPage } } }>(await list({ queue: "email", limit: 10 }, ADMIN.key), 200);
    expect(ok.result.data.json.total).toBe(1);
    expect(ok.result.data.json.jobs.map((job) => job.jobId)).toEqual([jobId]);

    const denied = await json<{ error: { json: { data: { problem: Problem } } } }>(await list({ queue: "email" }, USER_A.key), 403);
    expect(denied.error.json.data.problem.code).toBe("FORBIDDEN");
    const unknown = await json<{ error: { json: { data: { problem: Problem } } } }>(await list({ queue: "sms" }, ADMIN.key), 404);
    expect(unknown.error.json.data.problem.code).toBe("NOT_FOUND");

    const retried = await fetch(`${stack.url}/trpc/deadJobs.retry`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN.key}` },
      body: JSON.stringify({ json: { queue: "email", jobId } }),
    });
    const retriedBody = await json<{ result: { data: { json: { jobId: string; state: string } } } }>(retried, 200);
    expect(retriedBody.result.data.json).toMatchObject({ jobId, state: "waiting" });
  });
});
