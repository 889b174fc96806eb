/**
 * `taskgate-admin`, run as a child process from its built form (the package's bin launcher,
 * which runs dist/cli.js) against a live API with real dead jobs.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@taskgate/client";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { buildSdk, SDK_DIR } from "./support/build.js";
import { makeDeadJobs } from "#test-support/deadJobs.js";
import { cleanEnv } from "#test-support/processes.js";
import { pollUntil } from "#test-support/time.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: TestStack;
beforeAll(async () => {
  const rules = [{ name: "status-burst", key: "user", limit: 1, windowMs: 60_000, routes: ["GET /jobs/status/*"] }];
  [stack] = await Promise.all([startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify(rules) } }), buildSdk()]);
}, 120_000);
afterAll(() => stack?.close());

/** Runs the CLI with TASKGATE_URL/TASKGATE_API_KEY set to the stack and the admin key (unless overridden). */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`${SDK_DIR}bin/taskgate-admin.mjs`, ...args],
      { env: cleanEnv({ TASKGATE_URL: stack.url, TASKGATE_API_KEY: ADMIN.key, ...env }), timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("taskgate-admin", () => {
  it("prints help for the program, each group and each command, exiting 0", async () => {
    const main = await cli(["--help"]);
    expect(main).toMatchObject({ code: 0, stderr: "" });
    for (const command of ["dead-jobs list", "dead-jobs show", "dead-jobs retry", "dead-jobs retry-all", "dead-jobs delete", "queues", "blocked"]) {
      expect(main.stdout).toContain(command);
      const help = await cli([...command.split(" "), "--help"]);
      expect(help.code, command).toBe(0);
      expect(help.stdout).toContain(`Usage: taskgate-admin ${command}`);
      expect(help.stdout).toContain("--api-key");
    }
    const group = await cli(["dead-jobs", "-h"]);
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/retry-all/);
  });

  it("lists, shows, retries, retries all and deletes dead jobs", async () => {
    const [first, second, third] = await makeDeadJobs(stack, 3, "cli");

    const table = await cli(["dead-jobs", "list"]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toMatch(/^JOB ID\s+FAILED AT\s+ATTEMPTS\s+FAILURE\s+REASON/);
    for (const id of [first, second, third]) expect(table.stdout).toMatch(new RegExp(`^${id}\\s+\\d{4}-\\d\\d-\\d\\dT.*permanent\\s+recipient rejected: 550`, "m"));
    expect(table.stdout).toContain("3 shown, 3 dead in queue email.");

    const listed = await cli(["dead-jobs", "list", "--json", "--limit", "2"]);
    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout) as { total: number; jobs: Array<{ jobId: string; failedAt: string }>; nextCursor: string | null };
    expect(page.total).toBe(3);
    expect(page.jobs).toHaveLength(2);
    expect(page.jobs[0]!.failedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(page.nextCursor).toEqual(expect.any(String));
    const all = JSON.parse((await cli(["dead-jobs", "list", "--json", "--limit", "1", "--all"])).stdout) as { jobs: Array<{ jobId: string }> };
    expect(all.jobs.map((job) => job.jobId).sort()).toEqual([first, second, third].sort());

    const shown = await cli(["dead-jobs", "show", first!]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^Job\\s+${first}$`, "m"));
    expect(shown.stdout).toMatch(/^Failure\s+permanent/m);
    expect(shown.stdout).toContain('"subject": "cli-0"');
    expect(JSON.parse((await cli(["dead-jobs", "show", first!, "--json"])).stdout)).toMatchObject({ jobId: first, queue: "email", nonRetryable: true });

    const retried = await cli(["dead-jobs", "retry", first!]);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(`Re-queued ${first} in queue email (waiting).`);
    expect(await stack.api.deps.queues.email.getJobState(first!)).toBe("waiting");

    const deleted = await cli(["dead-jobs", "delete", second!, "--json"]);
    expect(JSON.parse(deleted.stdout)).toEqual({ queue: "email", jobId: second, deleted: true });
    expect(await stack.api.deps.queues.email.getJob(second!)).toBeUndefined();

    const retriedAll = await cli(["dead-jobs", "retry-all", third!]);
    expect(retriedAll).toMatchObject({ code: 0, stdout: "Re-queued 1 dead job in queue email.\n" });
    expect((await cli(["dead-jobs", "list"])).stdout).toBe("No dead jobs in queue email.\n");
  });

  it("shows queues as a table and as JSON", async () => {
    const table = await cli(["queues"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^QUEUE\s+PAUSED\s+WAITING\s+SCHEDULED\s+ACTIVE\s+RETRYING\s+COMPLETED\s+DEAD/);
    expect(table.stdout).toMatch(/^email\s+no\s+\d+/m);
    const json = JSON.parse((await cli(["queues", "--json"])).stdout) as { queues: Array<{ name: string; counts: Record<string, number> }> };
    expect(json.queues.map((queue) => queue.name)).toEqual(["email"]);
  });

  it("shows blocked requests, filtered by rule", async () => {
    const user = createClient({ baseUrl: stack.url, apiKey: USER_A.key, retry: { attempts: 1 } });
    const { jobId } = await user.jobs.email.create({ to: "a@example.com", subject: "s", text: "t" });
    await user.jobs.status({ queue: "email", jobId });
    await expect(user.jobs.status({ queue: "email", jobId })).rejects.toMatchObject({ code: "RATE_LIMITED" });
    const admin = createClient({ baseUrl: stack.url, apiKey: ADMIN.key });
    await pollUntil(() => admin.monitoring.blocked({ rule: "status-burst" }), (page) => page.entries.length === 1);

    const table = await cli(["blocked", "--rule", "status-burst", "--user", USER_A.userId]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^TIME\s+RULE\s+ROUTE\s+IP\s+USER\s+RETRY AFTER\s+REQUEST ID/);
    expect(table.stdout).toMatch(/status-burst\s+GET \/jobs\/status\/:queue\/:jobId\s+\S+\s+user-a\s+\d+ s/);
    const json = JSON.parse((await cli(["blocked", "--json", "--rule", "status-burst"])).stdout) as { entries: Array<{ rule: string; at: string }> };
    expect(json.entries).toEqual([expect.objectContaining({ rule: "status-burst", at: expect.stringMatching(/Z$/) })]);
    expect((await cli(["blocked", "--rule", "no-such-rule"])).stdout).toBe("No blocked requests match.\n");

    // Pages: a second denial, then one entry per page, the cursor printed for the older one.
    await expect(user.jobs.status({ queue: "email", jobId })).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await pollUntil(() => admin.monitoring.blocked({ rule: "status-burst" }), (page) => page.entries.length === 2);
    const newest = await cli(["blocked", "--rule", "status-burst", "--limit", "1", "--json"]);
    const first = JSON.parse(newest.stdout) as { entries: Array<{ requestId: string }>; nextCursor: string };
    const older = await cli(["blocked", "--rule", "status-burst", "--limit", "1"]);
    expect(older.stdout).toContain(`Older entries: --cursor ${first.nextCursor}`);
    const second = JSON.parse((await cli(["blocked", "--rule", "status-burst", "--cursor", first.nextCursor, "--json"])).stdout) as { entries: Array<{ requestId: string }>; nextCursor: null };
    expect(second.entries).toHaveLength(1);
    expect(second.entries[0]!.requestId).not.toBe(first.entries[0]!.requestId);
    expect(second.nextCursor).toBeNull();
  });

  it("exits 1 printing the error code: FORBIDDEN for a non-admin key, UNAUTHORIZED for an unknown one", async () => {
    const forbidden = await cli(["dead-jobs", "list", "--api-key", USER_A.key]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stdout).toBe("");
    expect(forbidden.stderr).toMatch(/^taskgate-admin: FORBIDDEN \(HTTP 403\): .*admin.*\[request id \S+\]$/m);

    const unknown = await cli(["queues"], { TASKGATE_API_KEY: "not-a-key-at-all" });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^taskgate-admin: UNAUTHORIZED \(HTTP 401\)/);

    const asJson = await cli(["dead-jobs", "show", "no-such-job", "--json"]);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: "NOT_FOUND", status: 404, requestId: expect.any(String) } });
  });

  it("exits 1 on VALIDATION_FAILED naming every bad field and why: one line each, and the whole problem with --json", async () => {
    // What the API itself answers for the same bad filters: the CLI must pass on all of it.
    const api = await stack.request("GET", "/monitoring/rate-limits/blocked?since=10m&until=later", { key: ADMIN.key });
    expect(api.status).toBe(400);
    const apiIssues = ((await api.json()) as { errors: Array<{ path: string; message: string }> }).errors;
    // Not vacuous: the API names both fields and says what they must be.
    expect(apiIssues).toEqual([
      { path: "since", message: expect.stringContaining("ISO 8601") },
      { path: "until", message: expect.stringContaining("ISO 8601") },
    ]);

    const plain = await cli(["blocked", "--since", "10m", "--until", "later"]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe("");
    const [headline, ...issueLines] = plain.stderr.trimEnd().split("\n");
    expect(headline).toMatch(/^taskgate-admin: VALIDATION_FAILED \(HTTP 400\): .+ \[request id \S+\]$/);
    expect(issueLines).toEqual(apiIssues.map((issue) => `  ${issue.path}: ${issue.message}`));

    const asJson = await cli(["blocked", "--since", "10m", "--json"]);
    expect(asJson.code).toBe(1);
    expect(asJson.stdout).toBe("");
    const { error } = JSON.parse(asJson.stderr) as { error: { requestId: string; problem: { requestId: string } } };
    expect(error).toMatchObject({
      code: "VALIDATION_FAILED",
      status: 400,
      problem: { type: expect.any(String), title: expect.any(String), status: 400, code: "VALIDATION_FAILED", detail: expect.any(String), errors: [apiIssues[0]] },
    });
    expect(error.problem.requestId).toBe(error.requestId);
  });

  it("exits 2 on wrong usage, saying what is wrong", async () => {
    const missing = await cli(["dead-jobs", "show"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("dead-jobs show needs a job id");
    const unknownOption = await cli(["queues", "--bogus"]);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("'--bogus'");
    const unknownCommand = await cli(["jobs", "purge"]);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'jobs purge'");
    expect((await cli(["dead-jobs", "list", "--limit", "many"])).stderr).toContain("--limit must be a whole number");
  });

  it("reads --url over TASKGATE_URL", async () => {
    const res = await cli(["queues", "--json", "--url", stack.url], { TASKGATE_URL: "http://127.0.0.1:9" });
    expect(res.code).toBe(0);
  });
});
