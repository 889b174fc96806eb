/**
 * Dead jobs of any queue by filter over HTTP: `q` and `userId` find exactly their jobs, a dry
 * run counts without changing anything, a filtered retry or delete touches exactly those, an
 * empty delete (no body, or an empty filter) is a 400, and every bulk write is an audit entry with its counts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDeadJobs } from "#test-support/deadJobs.js";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, USER_B, type TestStack } from "#test-support/stack.js";

let stack: TestStack;
let ann: string[];
let bob: string[];
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: "[]" } });
  ann = await makeDeadJobs(stack, 3, "ann-mail", USER_A.userId, "ann@example.com");
  bob = await makeDeadJobs(stack, 2, "bob-mail", USER_B.userId, "bob@example.org");
}, 60_000);
afterAll(() => stack.close());

interface Page {
  total: number;
  jobs: Array<{ jobId: string }>;
  nextCursor: string | null;
}

async function list(query: string): Promise<Page> {
  const res = await stack.request("GET", `/dead-jobs/email?${query}`, { key: ADMIN.key });
  expect(res.status, query).toBe(200);
  return (await res.json()) as Page;
}

const ids = (page: Page) => page.jobs.map((job) => job.jobId).sort();
const post = (path: string, body: unknown) => stack.request("POST", path, { key: ADMIN.key, body });

describe("dead jobs by filter", () => {
  it("finds exactly one recipient's jobs by q (case-insensitive) and one owner's by userId", async () => {
    expect(ids(await list("q=ANN%40example"))).toEqual([...ann].sort());
    expect(ids(await list("q=example.org"))).toEqual([...bob].sort());
    expect(ids(await list(`userId=${USER_B.userId}`))).toEqual([...bob].sort());
    expect(ids(await list(`userId=${USER_A.userId}&q=bob`))).toEqual([]);
    expect(ids(await list("q=bob-mail-1"))).toEqual([bob[1]]);
    expect((await list("q=ann")).total).toBe(5);
    expect(ids(await list(`since=${Date.now() + 3_600_000}`))).toEqual([]);
    expect((await stack.request("GET", "/dead-jobs/sms", { key: ADMIN.key })).status).toBe(404);
    expect((await stack.request("GET", "/dead-jobs/email?q=ann", { key: USER_A.key })).status).toBe(403);
  });

  it("counts a dry run without changing anything, then retries exactly the filtered ones", async () => {
    const dry = await post("/dead-jobs/email/retry", { filter: { q: "ann@example.com" }, dryRun: true });
    expect(dry.status).toBe(200);
    expect(await dry.json()).toEqual({ matched: 3, retried: 0 });
    expect((await list("")).total).toBe(5);

    const retried = await post("/dead-jobs/email/retry", { filter: { q: "ann@example.com" } });
    expect(retried.status).toBe(202);
    expect(await retried.json()).toEqual({ matched: 3, retried: 3 });
    expect(ids(await list(""))).toEqual([...bob].sort());
    for (const jobId of ann) {
      const status = (await (await stack.request("GET", `/jobs/status/email/${jobId}`, { key: ADMIN.key })).json()) as { state: string };
      expect(status.state).toBe("waiting");
    }
  });

  it("refuses to delete on an empty body, deletes exactly a filter's jobs, and audits both bulk writes", async () => {
    const empty = await post("/dead-jobs/email/delete", {});
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ code: "VALIDATION_FAILED" });
    expect((await post("/dead-jobs/email/delete", { all: true, filter: { q: "x" } })).status).toBe(400);
    // An empty filter would match every dead job: that is `all: true`, asked for by name.
    const emptyFilter = await post("/dead-jobs/email/delete", { filter: {} });
    expect(emptyFilter.status).toBe(400);
    expect(await emptyFilter.json()).toMatchObject({ code: "VALIDATION_FAILED", errors: [expect.objectContaining({ path: "filter" })] });

    const dry = await post("/dead-jobs/email/delete", { filter: { userId: USER_B.userId }, dryRun: true });
    expect(await dry.json()).toEqual({ matched: 2, deleted: 0 });
    expect((await list("")).total).toBe(2);
    const deleted = await post("/dead-jobs/email/delete", { filter: { userId: USER_B.userId } });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ matched: 2, deleted: 2 });
    expect((await list("")).total).toBe(0);

    const audit = (await (await stack.request("GET", "/monitoring/audit", { key: ADMIN.key })).json()) as { entries: Array<{ action: string; actor: string; details: Record<string, unknown> }> };
    const bulk = audit.entries.filter((entry) => entry.action.startsWith("deadJobs."));
    expect(bulk.map((entry) => entry.action)).toEqual(["deadJobs.deleteMany", "deadJobs.retryAll"]);
    expect(bulk[0]).toMatchObject({ actor: ADMIN.userId, details: { filter: { userId: USER_B.userId }, matched: 2, deleted: 2 } });
    expect(bulk[1]).toMatchObject({ details: { filter: { q: "ann@example.com" }, matched: 3, retried: 3 } });
  });
});
