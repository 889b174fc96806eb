/**
 * `taskgate-admin`, run as a child process from its built form (the package's bin launcher,
 * which runs dist/cli.js) against a live API with real dead jobs.
 */
import { execFile } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@taskgate/client";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, USER_B, type TestStack } from "#test-support/stack.js";
import { main } from "../src/cli/main.js";
import { buildSdk, SDK_DIR } from "./support/build.js";
import { makeDeadJobs } from "#test-support/deadJobs.js";
import { cleanEnv } from "#test-support/processes.js";
import { pollUntil } from "#test-support/time.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const STATUS_BURST = { name: "status-burst", key: "user" as const, limit: 1, windowMs: 60_000, routes: ["GET /jobs/status/*"] };

let stack: TestStack;
let files: string;
beforeAll(async () => {
  [stack, files] = await Promise.all([
    startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify([STATUS_BURST]) } }),
    mkdtemp(join(tmpdir(), "taskgate-cli-")),
    buildSdk(),
  ]);
}, 120_000);
afterAll(async () => {
  await stack?.close();
  if (files) await rm(files, { recursive: true, force: true });
});

/** Writes `content` (JSON unless a string) to a file of the test's folder and returns its path. */
async function file(name: string, content: unknown): Promise<string> {
  const path = join(files, name);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

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
    const commands = ["dead-jobs list", "dead-jobs show", "dead-jobs retry", "dead-jobs retry-all", "dead-jobs delete", "dead-jobs delete-many", "jobs cancel", "jobs reschedule", "queues", "blocked"];
    for (const command of [...commands, "limits show", "limits apply", "limits override set", "limits override delete", "audit"]) {
      expect(main.stdout).toContain(command);
      const help = await cli([...command.split(" "), "--help"]);
      expect(help.code, command).toBe(0);
      expect(help.stdout).toContain(`Usage: taskgate-admin ${command}`);
      expect(help.stdout).toContain("--api-key");
    }
    const group = await cli(["dead-jobs", "-h"]);
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/retry-all/);
    expect((await cli(["jobs", "--help"])).stdout).toMatch(/^ {2}reschedule\s/m);
    expect((await cli(["limits", "--help"])).stdout).toMatch(/^ {2}override delete\s/m);
    expect((await cli(["limits", "override", "--help"])).stdout).toMatch(/^ {2}set\s+set \(or replace\)/m);
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

    const retriedAll = await cli(["dead-jobs", "retry-all", third!, "--yes"]);
    expect(retriedAll).toMatchObject({ code: 0, stdout: "This will retry 1 dead job of queue email among the 1 id given.\nRe-queued 1 dead job in queue email.\n" });
    expect((await cli(["dead-jobs", "list"])).stdout).toBe("No dead jobs in queue email.\n");
  });

  describe("dead jobs by filter, and the bulk writes", () => {
    const email = () => stack.api.deps.queues.email;
    const ids = (out: string) => (JSON.parse(out) as { jobs: Array<{ jobId: string }> }).jobs.map((job) => job.jobId).sort();
    const states = (jobIds: string[]) => Promise.all(jobIds.map((id) => email().getJobState(id)));
    let alpha: string[];
    let beta: string[];
    let doomed: string[];

    beforeAll(async () => {
      // makeDeadJobs' worker takes every waiting job (the ones retried above among them) and counts
      // failures: drop the waiting ones first, so that exactly these die.
      await email().drain();
      alpha = await makeDeadJobs(stack, 3, "filter-alpha");
      beta = await makeDeadJobs(stack, 2, "filter-beta", USER_B.userId);
      doomed = await makeDeadJobs(stack, 2, "doomed");
    }, 60_000);

    it("lists exactly the dead jobs --q, --user, --since and --until match", async () => {
      expect(ids((await cli(["dead-jobs", "list", "--q", "FILTER-ALPHA", "--json"])).stdout)).toEqual([...alpha].sort());
      const table = await cli(["dead-jobs", "list", "--q", "filter-alpha"]);
      expect(table).toMatchObject({ code: 0, stderr: "" });
      for (const id of alpha) expect(table.stdout).toMatch(new RegExp(`^${id}\\s`, "m"));
      for (const id of [...beta, ...doomed]) expect(table.stdout).not.toMatch(new RegExp(`^${id}\\s`, "m"));
      expect(table.stdout).toContain('\n3 shown matching q "filter-alpha", 7 dead in queue email.\n');

      expect(ids((await cli(["dead-jobs", "list", "--user", USER_B.userId, "--json"])).stdout)).toEqual([...beta].sort());
      // The filter goes to every page that --all follows.
      expect(ids((await cli(["dead-jobs", "list", "--q", "filter-", "--limit", "1", "--all", "--json"])).stdout)).toEqual([...alpha, ...beta].sort());
      const hour = new Date(Date.now() - 3_600_000).toISOString();
      expect(ids((await cli(["dead-jobs", "list", "--since", hour, "--until", String(Date.now() + 60_000), "--q", "doomed", "--json"])).stdout)).toEqual([...doomed].sort());
      const future = String(Date.now() + 3_600_000);
      expect((await cli(["dead-jobs", "list", "--since", future])).stdout).toBe(`No dead jobs matching failed since ${future} in queue email.\n`);
      expect((await cli(["dead-jobs", "list", "--q", "nothing-like-it"])).stdout).toBe('No dead jobs matching q "nothing-like-it" in queue email.\n');
    });

    it("retry-all --dry-run prints the count and changes nothing; with --yes it retries exactly the filtered ones", async () => {
      const dry = await cli(["dead-jobs", "retry-all", "--q", "filter-alpha", "--dry-run"]);
      expect(dry).toMatchObject({ code: 0, stderr: "", stdout: 'Would retry 3 dead jobs of queue email matching q "filter-alpha"; nothing changed (--dry-run).\n' });
      expect(JSON.parse((await cli(["dead-jobs", "retry-all", "--q", "filter-alpha", "--dry-run", "--json"])).stdout)).toEqual({ matched: 3, retried: 0 });
      expect(await states(alpha)).toEqual(["failed", "failed", "failed"]);

      const refused = await cli(["dead-jobs", "retry-all", "--user", USER_B.userId]);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe(`This will retry 2 dead jobs of queue email matching user ${USER_B.userId}.\n`);
      expect(refused.stderr).toContain("not confirmed: stdin is not a terminal, so pass --yes");
      expect(await states(beta)).toEqual(["failed", "failed"]);

      const retried = await cli(["dead-jobs", "retry-all", "--user", USER_B.userId, "--yes", "--json"]);
      expect(retried.code).toBe(0);
      // With --json, stdout is the answer alone; what it will touch goes to stderr.
      expect(JSON.parse(retried.stdout)).toEqual({ matched: 2, retried: 2 });
      expect(retried.stderr).toBe(`This will retry 2 dead jobs of queue email matching user ${USER_B.userId}.\n`);
      expect(await states(beta)).toEqual(["waiting", "waiting"]);
      expect(await states([...alpha, ...doomed])).toEqual(Array(5).fill("failed"));
      expect((await cli(["dead-jobs", "retry-all", "--user", USER_B.userId])).stdout).toBe(`No dead jobs of queue email matching user ${USER_B.userId}: nothing to retry.\n`);
      expect((await cli(["dead-jobs", "retry-all", alpha[0]!, "--q", "x"])).stderr).toContain("takes job ids or the filter flags, not both");
    });

    it("delete-many without --yes and without a terminal refuses and deletes nothing; with --yes it deletes exactly the filtered ones", async () => {
      const refused = await cli(["dead-jobs", "delete-many", "--q", "doomed"]);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('This will delete 2 dead jobs of queue email matching q "doomed".\n');
      expect(refused.stderr).toBe("taskgate-admin: not confirmed: stdin is not a terminal, so pass --yes to delete them (or --dry-run to only count); nothing changed\n");
      expect(await states(doomed)).toEqual(["failed", "failed"]);

      const deleted = await cli(["dead-jobs", "delete-many", "--q", "doomed", "--yes"]);
      expect(deleted).toMatchObject({ code: 0, stderr: "", stdout: 'This will delete 2 dead jobs of queue email matching q "doomed".\nDeleted 2 dead jobs from queue email.\n' });
      for (const id of doomed) expect(await email().getJob(id)).toBeUndefined();
      expect(await states(alpha)).toEqual(["failed", "failed", "failed"]);

      // --ids counts only the ids that are dead; no selection at all is refused before anything is sent.
      expect(JSON.parse((await cli(["dead-jobs", "delete-many", "--ids", `${alpha[0]},${doomed[0]},no-such-job`, "--dry-run", "--json"])).stdout)).toEqual({ matched: 1, deleted: 0 });
      const none = await cli(["dead-jobs", "delete-many", "--url", "http://127.0.0.1:9"]);
      expect(none).toMatchObject({ code: 2, stdout: "" });
      expect(none.stderr).toContain("dead-jobs delete-many needs --ids, the filter flags (--q --user --since --until) or --all");
      expect((await cli(["dead-jobs", "delete-many", "--all", "--q", "x", "--url", "http://127.0.0.1:9"])).stderr).toContain("not the filter flags and --all");
    });

    it("asks at a terminal: no changes nothing, yes deletes, and --yes does not ask", async () => {
      const questions: string[] = [];
      const run = async (argv: string[], answer: boolean) => {
        const io = { out: [] as string[], err: [] as string[] };
        const code = await main([...argv, "--url", stack.url, "--api-key", ADMIN.key], {
          env: {},
          stdout: (text) => io.out.push(text),
          stderr: (text) => io.err.push(text),
          confirm: async (question) => (questions.push(question), answer),
        });
        return { code, ...io };
      };
      const declined = await run(["dead-jobs", "delete-many", "--ids", alpha[0]!], false);
      expect(declined).toEqual({ code: 2, out: ["This will delete 1 dead job of queue email among the 1 id given."], err: ["taskgate-admin: not confirmed; nothing changed"] });
      expect(questions).toEqual(["Delete it? [y/N] "]);
      expect(await email().getJobState(alpha[0]!)).toBe("failed");

      const confirmed = await run(["dead-jobs", "delete-many", "--ids", alpha[0]!], true);
      expect(confirmed).toMatchObject({ code: 0, out: [expect.any(String), "Deleted 1 dead job from queue email."] });
      expect(await email().getJob(alpha[0]!)).toBeUndefined();

      questions.length = 0;
      expect((await run(["dead-jobs", "retry-all", "--q", "filter-alpha", "--yes"], false)).out).toEqual(['This will retry 2 dead jobs of queue email matching q "filter-alpha".', "Re-queued 2 dead jobs in queue email."]);
      expect(questions).toEqual([]);
    });
  });

  describe("jobs cancel and reschedule", () => {
    // A stack of its own with a worker, so a job can complete; the one above keeps its dead jobs dead.
    let jobsStack: TestStack;
    beforeAll(async () => {
      jobsStack = await startStack({ env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: "[]" } });
    }, 60_000);
    afterAll(() => jobsStack?.close());

    const user = () => createClient({ baseUrl: jobsStack.url, apiKey: USER_A.key, retry: { attempts: 1 } });
    const jobsCli = (args: string[]) => cli(args, { TASKGATE_URL: jobsStack.url });
    const scheduled = async () => (await user().jobs.email.schedule({ to: "ann@example.com", subject: "later", text: "x", delayMs: 3_600_000 })).jobId;
    const at = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";

    it("cancels a scheduled job, a second cancel is still OK, and a completed job exits 1 with JOB_NOT_PENDING", async () => {
      const jobId = await scheduled();
      const cancelled = await jobsCli(["jobs", "cancel", jobId]);
      expect(cancelled).toMatchObject({ code: 0, stderr: "" });
      expect(cancelled.stdout).toMatch(new RegExp(`^Cancelled job ${jobId} of queue email \\(cancelled at ${at}\\): it will never run\\.\\n$`));
      expect((await user().jobs.status({ queue: "email", jobId })).state).toBe("cancelled");
      const again = await jobsCli(["jobs", "cancel", jobId, "--queue", "email"]);
      expect(again).toMatchObject({ code: 0, stdout: cancelled.stdout });
      expect(JSON.parse((await jobsCli(["jobs", "cancel", jobId, "--json"])).stdout)).toMatchObject({ jobId, queue: "email", state: "cancelled", cancelledAt: expect.stringMatching(/Z$/) });

      const { jobId: done } = await user().jobs.email.create({ to: "ann@example.com", subject: "now", text: "x" });
      await pollUntil(() => user().jobs.status({ queue: "email", jobId: done }), (status) => status.state === "completed");
      const refused = await jobsCli(["jobs", "cancel", done]);
      expect(refused).toMatchObject({ code: 1, stdout: "" });
      expect(refused.stderr).toMatch(/^taskgate-admin: JOB_NOT_PENDING \(HTTP 409\): The job is completed/);
      expect(JSON.parse((await jobsCli(["jobs", "cancel", done, "--json"])).stderr)).toMatchObject({ error: { code: "JOB_NOT_PENDING", status: 409, problem: { state: "completed" } } });
      expect((await user().jobs.status({ queue: "email", jobId: done })).state).toBe("completed");
      expect((await jobsCli(["jobs", "cancel"])).stderr).toContain("jobs cancel needs a job id");
    });

    it("reschedules a scheduled job, printing its new time", async () => {
      const jobId = await scheduled();
      const sendAt = new Date(Date.now() + 2 * 3_600_000);
      const moved = await jobsCli(["jobs", "reschedule", jobId, "--send-at", sendAt.toISOString()]);
      expect(moved).toMatchObject({ code: 0, stderr: "" });
      expect(moved.stdout).toMatch(new RegExp(`^Rescheduled job ${jobId} of queue email: it runs at ${sendAt.toISOString().replace(/\.\d{3}Z$/, "Z")}, not before\\. Status: /jobs/status/email/${jobId}\\n$`));
      expect((await user().jobs.status({ queue: "email", jobId })).scheduledFor).toEqual(sendAt);

      const before = Date.now();
      const delayed = JSON.parse((await jobsCli(["jobs", "reschedule", jobId, "--delay-ms", "600000", "--json"])).stdout) as { state: string; scheduledFor: string };
      expect(delayed.state).toBe("scheduled");
      expect(Date.parse(delayed.scheduledFor)).toBeGreaterThanOrEqual(before + 600_000);
      expect(Date.parse(delayed.scheduledFor)).toBeLessThan(Date.now() + 600_000 + 1000);

      const both = await jobsCli(["jobs", "reschedule", jobId, "--send-at", sendAt.toISOString(), "--delay-ms", "5"]);
      expect(both).toMatchObject({ code: 2, stdout: "" });
      expect(both.stderr).toContain("jobs reschedule needs exactly one of --send-at or --delay-ms");
    });
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

  // These change the policy, so they follow the blocked-requests test; status-burst stays as configured.
  describe("the rate-limit policy and the audit log", () => {
    const admin = () => createClient({ baseUrl: stack.url, apiKey: ADMIN.key });
    const SHADOW = { name: "cli-shadow", key: "ip", limit: 50, windowMs: 3_600_000, routes: ["POST /jobs/email", "POST /jobs/email/schedule"], priority: 5, mode: "shadow" };

    it("shows the version, who changed it last, the rules and the overrides", async () => {
      const policy = await admin().rateLimits.policy.get();
      const shown = await cli(["limits", "show"]);
      expect(shown).toMatchObject({ code: 0, stderr: "" });
      expect(shown.stdout).toMatch(new RegExp(`^Version\\s+${policy.version}$`, "m"));
      expect(shown.stdout).toMatch(/^Updated\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by config$/m);
      expect(shown.stdout).toMatch(/^NAME\s+KEY\s+LIMIT\s+WINDOW\s+ROUTES\s+TIERS\s+MODE\s+PRIORITY\s+COST$/m);
      expect(shown.stdout).toMatch(/^status-burst\s+user\s+1\s+1 min\s+GET \/jobs\/status\/\*\s+all\s+enforce\s+100\s+1$/m);
      expect(shown.stdout).toMatch(/^Overrides:\n {2}none$/m);
      const json = JSON.parse((await cli(["limits", "show", "--json"])).stdout) as { version: number; updatedAt: string; rules: unknown[] };
      expect(json).toMatchObject({ version: policy.version, updatedAt: policy.updatedAt.toISOString(), rules: [expect.objectContaining(STATUS_BURST)], overrides: [] });
    });

    it("applies a rules file: the version grows by one, show reflects it, and a stale --expected-version is a VERSION_CONFLICT", async () => {
      const before = await admin().rateLimits.policy.get();
      const applied = await cli(["limits", "apply", await file("rules.json", [STATUS_BURST, SHADOW]), "--expected-version", String(before.version)]);
      expect(applied).toMatchObject({ code: 0, stderr: "", stdout: `Applied 2 rules: the policy is now version ${before.version + 1} (0 overrides in force).\n` });
      const shown = await cli(["limits", "show"]);
      expect(shown.stdout).toMatch(new RegExp(`^Version\\s+${before.version + 1}$`, "m"));
      expect(shown.stdout).toMatch(new RegExp(`^Updated\\s+\\S+ by ${ADMIN.userId}$`, "m"));
      expect(shown.stdout).toMatch(/^cli-shadow\s+ip\s+50\s+1 h\s+POST \/jobs\/email, POST \/jobs\/email\/schedule\s+all\s+shadow\s+5\s+1$/m);

      // What `limits show --json` prints applies as it is (its other keys are ignored): same rules, next version.
      const roundTrip = await cli(["limits", "apply", await file("shown.json", (await cli(["limits", "show", "--json"])).stdout), "--json"]);
      expect(roundTrip.code).toBe(0);
      const policy = JSON.parse(roundTrip.stdout) as { version: number; rules: Array<{ name: string }> };
      expect(policy.version).toBe(before.version + 2);
      expect(policy.rules.map((rule) => rule.name)).toEqual(["status-burst", "cli-shadow"]);

      const stale = await cli(["limits", "apply", await file("again.json", { rules: [STATUS_BURST] }), "--expected-version", String(before.version)]);
      expect(stale.code).toBe(1);
      expect(stale.stdout).toBe("");
      expect(stale.stderr).toMatch(new RegExp(`^taskgate-admin: VERSION_CONFLICT \\(HTTP 409\\): The policy is at version ${before.version + 2}, not ${before.version}`));
      expect((await admin().rateLimits.policy.get()).version).toBe(before.version + 2);
    });

    it("refuses a file of bad rules, printing every bad field one line each, and changes nothing", async () => {
      const before = await admin().rateLimits.policy.get();
      const rules = [
        { name: "bad name!", key: "nope", limit: 0, windowMs: 10 },
        { name: "too-costly", key: "ip", limit: 5, windowMs: 1000, cost: 9 },
      ];
      // What the API itself answers for the same rules: the CLI must pass on all of it.
      const api = await stack.request("PUT", "/rate-limits/policy", { key: ADMIN.key, body: { rules } });
      expect(api.status).toBe(400);
      const apiIssues = ((await api.json()) as { errors: Array<{ path: string; message: string }> }).errors;
      expect(apiIssues.map((issue) => issue.path)).toEqual([
        expect.stringMatching(/0.*name/),
        expect.stringMatching(/0.*key/),
        expect.stringMatching(/0.*limit/),
        expect.stringMatching(/0.*windowMs/),
        expect.stringMatching(/1.*cost/),
      ]);

      const refused = await cli(["limits", "apply", await file("bad.json", rules)]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe("");
      const [headline, ...issueLines] = refused.stderr.trimEnd().split("\n");
      expect(headline).toMatch(/^taskgate-admin: VALIDATION_FAILED \(HTTP 400\): /);
      expect(issueLines).toEqual(apiIssues.map((issue) => `  ${issue.path}: ${issue.message}`));
      expect(await admin().rateLimits.policy.get()).toEqual(before);
    });

    it("exits 2 on a rules file that cannot be read, is not JSON or holds no rules, sending nothing", async () => {
      // Nothing listens at this URL: a request would fail with NETWORK_ERROR (exit 1).
      const nowhere = ["--url", "http://127.0.0.1:9"];
      const notJson = await cli(["limits", "apply", await file("broken.json", '[{"name": "a",'), ...nowhere]);
      expect(notJson).toMatchObject({ code: 2, stdout: "" });
      expect(notJson.stderr).toMatch(/^taskgate-admin: \S+broken\.json is not valid JSON: .+$/m);
      const missing = await cli(["limits", "apply", join(files, "no-such-file.json"), ...nowhere]);
      expect(missing).toMatchObject({ code: 2, stdout: "" });
      expect(missing.stderr).toMatch(/^taskgate-admin: cannot read \S+no-such-file\.json: ENOENT/);
      const noRules = await cli(["limits", "apply", await file("object.json", { rule: [] }), ...nowhere]);
      expect(noRules).toMatchObject({ code: 2, stdout: "" });
      expect(noRules.stderr).toContain('must hold a JSON array of rules or an object with a "rules" array');
      expect((await cli(["limits", "apply", ...nowhere])).stderr).toContain("limits apply needs a FILE of rules");
      expect((await cli(["limits", "apply", await file("ok.json", []), "--expected-version", "latest", ...nowhere])).stderr).toContain("--expected-version must be a whole number");
    });

    it("sets and deletes overrides, as show lists them", async () => {
      const expiresAt = new Date(Date.now() + 3_600_000);
      const expires = expiresAt.toISOString().replace(/\.\d{3}Z$/, "Z");
      const set = await cli(["limits", "override", "set", "--rule", "status-burst", "--identity", "user:user-b", "--limit", "5", "--window-ms", "30000", "--expires-at", expiresAt.toISOString(), "--reason", "load test"]);
      expect(set).toMatchObject({ code: 0, stderr: "" });
      expect(set.stdout.trimEnd()).toMatch(new RegExp(`^Set the override of rule status-burst for user:user-b: limit 5 per 30 s, until ${expires}\\. The policy is now version \\d+\\.$`));
      expect((await cli(["limits", "override", "set", "--rule", "status-burst", "--identity", "user:user-a", "--limit", "0"])).stdout).toContain("limit 0 per the rule's window, with no expiry.");

      const shown = await cli(["limits", "show"]);
      expect(shown.stdout).toMatch(/^RULE\s+IDENTITY\s+LIMIT\s+WINDOW\s+EXPIRES\s+REASON\s+BY$/m);
      expect(shown.stdout).toMatch(new RegExp(`^status-burst\\s+user:user-b\\s+5\\s+30 s\\s+${expires}\\s+load test\\s+${ADMIN.userId}$`, "m"));
      expect(shown.stdout).toMatch(new RegExp(`^status-burst\\s+user:user-a\\s+0\\s+rule's\\s+never\\s+-\\s+${ADMIN.userId}$`, "m"));

      const deleted = await cli(["limits", "override", "delete", "--rule", "status-burst", "--identity", "user:user-b"]);
      expect(deleted).toMatchObject({ code: 0, stdout: "Deleted the override of rule status-burst for user:user-b.\n" });
      expect(JSON.parse((await cli(["limits", "override", "delete", "--rule", "status-burst", "--identity", "user:user-a", "--json"])).stdout)).toEqual({ rule: "status-burst", identity: "user:user-a", deleted: true });
      expect((await cli(["limits", "show"])).stdout).toMatch(/^Overrides:\n {2}none$/m);
      expect((await admin().rateLimits.policy.get()).overrides).toEqual([]);

      const again = await cli(["limits", "override", "delete", "--rule", "status-burst", "--identity", "user:user-b"]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^taskgate-admin: NOT_FOUND \(HTTP 404\)/);
      const badIdentity = await cli(["limits", "override", "set", "--rule", "status-burst", "--identity", "bob", "--limit", "5"]);
      expect(badIdentity.code).toBe(1);
      expect(badIdentity.stderr).toContain("\n  identity: must be user:<userId> or ip:<IPv4 or IPv6 address>");
      const missing = await cli(["limits", "override", "set", "--identity", "user:user-b"]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("limits override set needs --rule");
      expect((await cli(["limits", "override", "set", "--rule", "status-burst", "--identity", "user:user-b"])).stderr).toContain("needs --limit");
    });

    it("lists the admin writes newest first with the admin as actor, paging by cursor", async () => {
      const { version: base } = await admin().rateLimits.policy.set({ rules: [STATUS_BURST] });
      await cli(["limits", "apply", await file("audit.json", [STATUS_BURST, { ...SHADOW, name: "cli-audit" }])]);
      await cli(["limits", "override", "set", "--rule", "status-burst", "--identity", "user:user-b", "--limit", "7", "--window-ms", "120000"]);
      await cli(["limits", "override", "delete", "--rule", "status-burst", "--identity", "user:user-b"]);

      const listed = await cli(["audit", "--limit", "3"]);
      expect(listed).toMatchObject({ code: 0, stderr: "" });
      const lines = listed.stdout.split("\n");
      expect(lines[0]).toMatch(/^TIME\s+ACTOR\s+ACTION\s+TARGET\s+DETAILS$/);
      const at = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";
      expect(lines.slice(1, 4)).toEqual([
        expect.stringMatching(new RegExp(`^${at}\\s+${ADMIN.userId}\\s+override\\.delete\\s+status-burst/user:user-b\\s+version ${base + 3}; limit 7 per 2 min → none$`)),
        expect.stringMatching(new RegExp(`^${at}\\s+${ADMIN.userId}\\s+override\\.set\\s+status-burst/user:user-b\\s+version ${base + 2}; none → limit 7 per 2 min$`)),
        expect.stringMatching(new RegExp(`^${at}\\s+${ADMIN.userId}\\s+policy\\.set\\s+policy\\s+version ${base + 1}; rules 1 → 2: \\+cli-audit; droppedOverrides=0$`)),
      ]);
      expect(listed.stdout).toContain("3 entries, newest first.");
      const cursor = /^Older entries: --cursor (\S+)$/m.exec(listed.stdout)?.[1];
      expect(cursor).toEqual(expect.any(String));

      // The next page goes on with older writes: the dead-job retry and delete of the test above among them.
      const older = JSON.parse((await cli(["audit", "--json", "--limit", "500", "--cursor", cursor!])).stdout) as { entries: Array<{ at: string; actor: string; action: string }>; nextCursor: string | null };
      expect(older.entries[0]).toMatchObject({ actor: ADMIN.userId, action: "policy.set", at: expect.stringMatching(/Z$/) });
      expect(older.entries.map((entry) => entry.action)).toEqual(expect.arrayContaining(["deadJobs.retry", "deadJobs.delete", "override.set", "override.delete"]));
      expect(older.nextCursor).toBeNull();
      expect((await cli(["audit", "--cursor", "soon"])).stderr).toMatch(/^ {2}cursor: must be a nextCursor from a previous page$/m);
    });
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

  describe("text and failures that are not Taskgate's", () => {
    /** The CLI in this process against `url`, with a confirm callback that runs `meanwhile` before saying yes. */
    async function runMain(argv: string[], options: { url?: string; apiKey?: string; meanwhile?: () => Promise<void> } = {}) {
      const io = { out: [] as string[], err: [] as string[] };
      const code = await main([...argv, "--url", options.url ?? stack.url, "--api-key", options.apiKey ?? ADMIN.key], {
        env: {},
        stdout: (text) => io.out.push(text),
        stderr: (text) => io.err.push(text),
        confirm: async () => {
          await options.meanwhile?.();
          return true;
        },
      });
      return { code, out: io.out.join("\n"), err: io.err.join("\n") };
    }

    it("never lets the server's text drive the terminal: an id with escape sequences comes back as one plain line", async () => {
      const run = await runMain(["dead-jobs", "show", "ab\u001b[31mRED\u001b]0;pwned\u0007"]);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/NOT_FOUND/);
      expect(run.err).not.toMatch(/\p{Cc}/u);
    });

    it("says when a bulk write touched more than the count it confirmed: jobs that died in between", async () => {
      const label = `raced-${Date.now()}`;
      await makeDeadJobs(stack, 1, label);
      const run = await runMain(["dead-jobs", "delete-many", "--q", label], { meanwhile: async () => void (await makeDeadJobs(stack, 2, label)) });
      expect(run.code).toBe(0);
      expect(run.out).toContain(`This will delete 1 dead job of queue email matching q "${label}".`);
      expect(run.out).toContain("Deleted 3 dead jobs from queue email (2 more than the 1 counted before: they died since).");
    });

    it("refuses an API key it could not send with exit 2, without printing it", async () => {
      const run = await runMain(["queues"], { apiKey: "admin-key\nsecretpart" });
      expect(run.code).toBe(2);
      expect(`${run.out}${run.err}`).not.toContain("secretpart");
    });

    it("prints one line, no stack trace, for an answer it cannot show, with exit 1", async () => {
      const server = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ result: { data: { json: null } } }));
      });
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      try {
        const run = await runMain(["queues"], { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
        expect(run.code).toBe(1);
        expect(run.err).toMatch(/^taskgate-admin: BAD_RESPONSE: /);
        expect(run.err.split("\n")).toHaveLength(1);
        expect(run.err).not.toMatch(/\n\s+at /);
      } finally {
        server.close();
      }
    });
  });

  it("reads --url over TASKGATE_URL", async () => {
    const res = await cli(["queues", "--json", "--url", stack.url], { TASKGATE_URL: "http://127.0.0.1:9" });
    expect(res.code).toBe(0);
  });
});
