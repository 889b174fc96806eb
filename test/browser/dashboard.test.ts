/**
 * The admin dashboard in a real browser (headless Chromium via playwright-core) against a live
 * API, worker and SMTP server: sign in with the admin key, find a dead job the test made, open
 * it, retry it after fixing its cause and watch it leave the list; find a request the rate
 * limiter blocked, filter for it; see that a non-admin key gets an error message, not data; and
 * read a policy changed at run time (a shadow rule, an override) and its audit entries. Then,
 * on a stack of its own: search dead jobs by recipient, retry those a search matches (the
 * confirmation counting them by a dry run), and cancel and reschedule a scheduled job found by id.
 * Screenshots go to .artifacts/ (dashboard.png, dashboard-policy.png, dashboard-dead-search.png,
 * dashboard-job-controls.png).
 */
import { mkdirSync } from "node:fs";
import { Queue, UnrecoverableError, Worker } from "bullmq";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bullPrefix, type EmailJobData } from "@taskgate/shared";
import { launchChromium } from "#test-support/browser.js";
import { testConnection } from "#test-support/redis.js";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, USER_B, type TestStack } from "#test-support/stack.js";
import { pollUntil } from "#test-support/time.js";

const ARTIFACTS = ".artifacts";
/** Each user may submit one email a minute: the second one of user B is blocked. */
const RULES = JSON.stringify([{ name: "one-email-a-minute", key: "user", limit: 1, windowMs: 60_000, routes: ["POST /jobs/email"] }]);
const BOUNCING = "gone@example.com";
const WAIT_MS = 15_000;

let smtp: TestSmtpServer;
let stack: TestStack;
let browser: Browser;
let rejectRecipient = true;
let deadJobId: string;
let blockedRequestId: string;

beforeAll(async () => {
  smtp = await startTestSmtp({ onRecipient: (address) => (rejectRecipient && address === BOUNCING ? { code: 550, message: "5.1.1 user unknown" } : undefined) });
  stack = await startStack({ env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: RULES, SMTP_URL: smtp.url, METRICS_FLUSH_MS: "50" } });
  browser = await launchChromium();

  // A dead job: the SMTP server refuses the recipient for good (550), so it dies on its first attempt.
  const created = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { to: BOUNCING, subject: "Bounce me", text: "x" } });
  expect(created.status).toBe(202);
  deadJobId = ((await created.json()) as { jobId: string }).jobId;
  await pollUntil(
    async () => ((await (await stack.request("GET", `/jobs/status/email/${deadJobId}`, { key: USER_A.key })).json()) as { state: string }).state,
    (state) => state === "dead",
  );

  // A blocked request: user B's second email within the minute.
  const first = await stack.request("POST", "/jobs/email", { key: USER_B.key, body: { to: "b@example.com", subject: "ok", text: "x" } });
  expect(first.status).toBe(202);
  const second = await stack.request("POST", "/jobs/email", { key: USER_B.key, body: { to: "b@example.com", subject: "too many", text: "x" } });
  expect(second.status).toBe(429);
  blockedRequestId = second.headers.get("x-request-id")!;
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await smtp?.close();
});

async function signIn(page: Page, key: string, url = stack.url): Promise<void> {
  await page.goto(`${url}/admin`);
  await page.getByTestId("key-input").fill(key);
  await page.getByTestId("key-submit").click();
}

describe("admin dashboard in a browser", () => {
  it("shows a dead job, opens it, retries it once its cause is fixed, and it leaves the list", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Script errors and anything the Content-Security-Policy refused would show up here.
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await signIn(page, ADMIN.key);

    const row = page.locator(`[data-testid=dead-table] tr[data-job-id="${deadJobId}"]`);
    await row.waitFor({ timeout: WAIT_MS });
    expect(await row.textContent()).toContain("550");
    expect(await row.textContent()).toContain(BOUNCING);

    // The key lives in session storage, never in the URL.
    expect(page.url()).not.toContain(ADMIN.key);
    expect(await page.evaluate("sessionStorage.getItem('taskgate.adminKey')")).toBe(ADMIN.key);

    // The detail: reason and attempt history.
    await row.getByTestId("open-job").click();
    const detail = page.getByTestId("dead-job-detail");
    await detail.waitFor({ timeout: WAIT_MS });
    expect(await detail.getByTestId("detail-reason").textContent()).toMatch(/550/);
    expect(await detail.getByTestId("attempts").locator("tbody tr").count()).toBe(1);

    // The queue card and the charts are there too (the screenshot shows them).
    await page.getByTestId("queue-email").waitFor({ timeout: WAIT_MS });
    await page.getByTestId("requests-chart").waitFor({ timeout: WAIT_MS });
    mkdirSync(ARTIFACTS, { recursive: true });
    await detail.getByRole("button", { name: "Close" }).click();
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });

    // Nothing destructive happens without confirmation: Cancel leaves the job where it is.
    await row.getByTestId("row-delete").click();
    await page.getByTestId("confirm-dialog").getByRole("button", { name: "Cancel" }).click();
    expect(await page.getByTestId("confirm-dialog").count()).toBe(0);
    expect(await stack.api.deps.queues.email.getJobState(deadJobId)).toBe("failed");
    expect(await row.count()).toBe(1);

    // Fix the cause, then retry from the detail dialog, confirming.
    rejectRecipient = false;
    await row.getByTestId("open-job").click();
    await detail.getByTestId("detail-retry").click();
    await page.getByTestId("confirm-button").click();
    await row.waitFor({ state: "detached", timeout: WAIT_MS });

    // It really went back to work: delivered, and not dead any more.
    const delivered = await smtp.waitFor(2, WAIT_MS);
    expect(delivered.some((mail) => mail.envelopeTo.includes(BOUNCING))).toBe(true);
    const status = await pollUntil(
      async () => ((await (await stack.request("GET", `/jobs/status/email/${deadJobId}`, { key: USER_A.key })).json()) as { state: string }).state,
      (state) => state === "completed",
    );
    expect(status.at(-1)).toBe("completed");

    // Found by its id: completed now, with its one failed attempt from before the retry.
    const find = page.getByTestId("find-job");
    await find.locator("input[name=jobId]").fill(deadJobId);
    await find.getByRole("button", { name: "Find" }).click();
    const found = page.getByTestId("found-job");
    await found.waitFor({ timeout: WAIT_MS });
    expect(await found.getByTestId("found-job-state").textContent()).toBe("completed");
    expect(await found.textContent()).toContain("550");
    await find.locator("input[name=jobId]").fill("no-such-job");
    await find.getByRole("button", { name: "Find" }).click();
    await page.getByTestId("found-nothing").waitFor({ timeout: WAIT_MS });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows the blocked request and filters the log by user, rule, IP and route", async () => {
    const page = await browser.newPage();
    await signIn(page, ADMIN.key);
    const blockedRow = page.locator(`[data-testid=blocked-table] tr[data-request-id="${blockedRequestId}"]`);
    await blockedRow.waitFor({ timeout: WAIT_MS });
    const text = (await blockedRow.textContent()) ?? "";
    expect(text).toContain("one-email-a-minute");
    expect(text).toContain("POST /jobs/email");
    expect(text).toContain(USER_B.userId);

    const filters = page.getByTestId("blocked-filters");
    await filters.locator("input[name=userId]").fill(USER_A.userId);
    await filters.getByRole("button", { name: "Filter" }).click();
    await page.getByTestId("blocked-empty").waitFor({ timeout: WAIT_MS });

    await filters.locator("input[name=userId]").fill(USER_B.userId);
    await filters.locator("input[name=rule]").fill("one-email-a-minute");
    await filters.getByRole("button", { name: "Filter" }).click();
    await blockedRow.waitFor({ timeout: WAIT_MS });

    // Each of IP and route alone: first a value that matches nothing (the row must go), then the
    // request's own (the row must come back).
    for (const [name, miss, hit] of [
      ["ip", "10.9.9.9", "127.0.0.1"],
      ["route", "GET /health", "POST /jobs/email"],
    ] as const) {
      await filters.getByRole("button", { name: "Clear" }).click();
      await filters.locator(`input[name=${name}]`).fill(miss);
      await filters.getByRole("button", { name: "Filter" }).click();
      await page.getByTestId("blocked-empty").waitFor({ timeout: WAIT_MS });
      await filters.locator(`input[name=${name}]`).fill(hit);
      await filters.getByRole("button", { name: "Filter" }).click();
      await blockedRow.waitFor({ timeout: WAIT_MS });
    }
    await filters.getByRole("button", { name: "Clear" }).click();

    // It refreshes on its own: a request blocked now appears without any click.
    const later = await stack.request("POST", "/jobs/email", { key: USER_B.key, body: { to: "b@example.com", subject: "still too many", text: "x" } });
    expect(later.status).toBe(429);
    await page.locator(`[data-testid=blocked-table] tr[data-request-id="${later.headers.get("x-request-id")}"]`).waitFor({ timeout: WAIT_MS });
    await page.close();
  });

  it("opens without a key on a server in open mode, and says that everything is open", async () => {
    const open = await startStack({ worker: false });
    try {
      const page = await browser.newPage();
      await page.goto(`${open.url}/admin`);
      await page.getByTestId("open-mode").waitFor({ timeout: WAIT_MS });
      await page.getByTestId("queue-email").waitFor({ timeout: WAIT_MS });
      expect(await page.getByTestId("sign-in").count()).toBe(0);
      await page.close();
    } finally {
      await open.close();
    }
  });

  it("says so when the API cannot be reached, at open or on a refresh, keeps what it showed, and carries on once it is back", async () => {
    const open = await startStack({ worker: false });
    const page = await browser.newPage();
    try {
      // The API unreachable when the page opens: it says so, and opens once the API answers.
      await page.route("**/trpc/**", (route) => route.abort("connectionrefused"));
      await page.goto(`${open.url}/admin`);
      await page.getByTestId("start-error").waitFor({ timeout: WAIT_MS });
      await page.unroute("**/trpc/**");
      await page.getByTestId("queue-email").waitFor({ timeout: WAIT_MS });
      // Every API call fails from now on, as when the API process is gone.
      await page.route("**/trpc/**", (route) => route.abort("connectionrefused"));
      const loadError = page.getByTestId("load-error");
      await loadError.waitFor({ timeout: WAIT_MS });
      expect(await loadError.textContent()).toMatch(/Could not refresh/);
      expect(await page.getByTestId("queue-email").count()).toBe(1);
      await page.unroute("**/trpc/**");
      await loadError.waitFor({ state: "hidden", timeout: WAIT_MS });
    } finally {
      await page.close();
      await open.close();
    }
  });

  it("asks for a key, without an error, when the server has API keys", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.url}/admin`);
    await page.getByTestId("sign-in").waitFor({ timeout: WAIT_MS });
    expect(await page.getByTestId("sign-in-error").count()).toBe(0);
    expect(await page.getByTestId("open-mode").count()).toBe(0);
    await page.close();
  });

  it("shows a non-admin key an error message and no data", async () => {
    const page = await browser.newPage();
    await signIn(page, USER_A.key);
    const error = page.getByTestId("sign-in-error");
    await error.waitFor({ timeout: WAIT_MS });
    expect(await error.textContent()).toMatch(/not an admin key/);
    expect(await page.getByTestId("dead-table").count()).toBe(0);
    expect(await page.getByTestId("blocked").count()).toBe(0);
    // A refused key is not kept.
    expect(await page.evaluate("sessionStorage.getItem('taskgate.adminKey')")).toBeNull();
    await page.close();
  });

  it("shows a policy changed at run time: its version, the shadow rule and its hits, the override with its reason, and both changes in the audit log", async () => {
    // Its own stack: replacing the rules would change what the other tests rely on.
    const own = await startStack({ env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: RULES, METRICS_FLUSH_MS: "50" }, worker: false });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      const userRule = "one-email-a-minute";
      const override = await own.request("PUT", "/rate-limits/overrides", { key: ADMIN.key, body: { rule: userRule, identity: `user:${USER_A.userId}`, limit: 5, reason: "launch" } });
      expect(override.status).toBe(200);
      // The same rule, now in shadow mode: the override still fits it (a rule gone would take its overrides along).
      const replaced = await own.request("PUT", "/rate-limits/policy", {
        key: ADMIN.key,
        body: { rules: [{ name: userRule, key: "user", limit: 1, windowMs: 60_000, routes: ["POST /jobs/email"], mode: "shadow" }] },
      });
      expect(replaced.status).toBe(200);
      const { version } = (await replaced.json()) as { version: number };
      // Over the limit, yet every request passes: a shadow rule only records what it would deny.
      for (let i = 0; i < 3; i++) {
        const response = await own.request("POST", "/jobs/email", { key: USER_B.key, body: { to: "b@example.com", subject: `shadow ${i}`, text: "x" } });
        expect(response.status).toBe(202);
      }

      await signIn(page, ADMIN.key, own.url);
      const policy = page.getByTestId("policy");
      const ruleRow = policy.locator(`[data-testid=rules-table] tr[data-rule="${userRule}"]`);
      await ruleRow.waitFor({ timeout: WAIT_MS });
      expect(await policy.getByTestId("policy-version").textContent()).toBe(String(version));
      expect(await policy.getByTestId("policy-updated-by").textContent()).toContain(ADMIN.userId);
      expect(await ruleRow.getByTestId("rule-mode").textContent()).toBe("shadow");
      expect(await ruleRow.locator(".badge.shadow").count()).toBe(1);
      // Shadow hits reach the metrics within METRICS_FLUSH_MS, and the page within a refresh or two.
      const hits = await pollUntil(() => ruleRow.getByTestId("rule-shadow-hits").textContent(), (text) => Number(text) > 0);
      expect(Number(hits.at(-1))).toBeGreaterThan(0);

      const overrideRow = policy.locator(`[data-testid=overrides-table] tr[data-identity="user:${USER_A.userId}"]`);
      await overrideRow.waitFor({ timeout: WAIT_MS });
      const overrideText = (await overrideRow.textContent()) ?? "";
      for (const part of [userRule, "launch", "never", ADMIN.userId]) expect(overrideText).toContain(part);
      expect(await overrideRow.locator("td").nth(2).textContent()).toBe("5");

      // The would-be denials are in the blocked log, marked as shadow.
      await page.locator("[data-testid=blocked-table] tr.shadow [data-testid=shadow-badge]").first().waitFor({ timeout: WAIT_MS });

      // Newest first: the rules replaced after the override was set, both by the admin (below
      // them, the policy's seeding from configuration, by `config`).
      const audit = page.getByTestId("audit");
      await audit.getByTestId("audit-table").waitFor({ timeout: WAIT_MS });
      expect((await audit.getByTestId("audit-action").allTextContents()).slice(0, 2)).toEqual(["policy.set", "override.set"]);
      expect((await audit.getByTestId("audit-actor").allTextContents()).slice(0, 2)).toEqual([ADMIN.userId, ADMIN.userId]);
      expect(await audit.locator("tr[data-action='override.set']").textContent()).toContain("launch");
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/dashboard-policy.png`, fullPage: true });
    } finally {
      await page.close();
      await own.close();
    }
  });
});

/** Jobs one user's key creates through the API, each to `to`; their ids. */
async function createEmails(on: TestStack, key: string, to: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await on.request("POST", "/jobs/email", { key, body: { to, subject: `search test ${i}`, text: "x" } });
    expect(response.status).toBe(202);
    ids.push(((await response.json()) as { jobId: string }).jobId);
  }
  return ids;
}

/** Makes these jobs dead (scheduled ones promoted first) with a plain BullMQ worker that fails every job for good. */
async function killJobs(on: TestStack, jobIds: string[]): Promise<void> {
  const connection = testConnection();
  const queue = new Queue<EmailJobData>("email", { connection, prefix: bullPrefix(on.prefix) });
  let worker: Worker<EmailJobData> | undefined;
  try {
    for (const jobId of jobIds) if ((await queue.getJobState(jobId)) === "delayed") await (await queue.getJob(jobId))!.promote();
    worker = new Worker<EmailJobData>(
      "email",
      async () => {
        throw new UnrecoverableError("recipient rejected: 550 5.1.1 user unknown");
      },
      { connection, prefix: bullPrefix(on.prefix) },
    );
    await pollUntil(() => Promise.all(jobIds.map((jobId) => queue.getJobState(jobId))), (states) => states.every((state) => state === "failed"));
  } finally {
    await worker?.close();
    await queue.close();
    await connection.quit();
  }
}

async function jobState(on: TestStack, jobId: string): Promise<{ state: string; scheduledFor?: string; cancelledAt?: string }> {
  return (await (await on.request("GET", `/jobs/status/email/${jobId}`, { key: ADMIN.key })).json()) as { state: string; scheduledFor?: string; cancelledAt?: string };
}

const rowIds = (rows: Locator) => rows.evaluateAll((found) => found.map((row) => row.getAttribute("data-job-id")).sort());

describe("dead-job search and bulk retry, job cancel and reschedule, in a browser", () => {
  const ALICE = "alice@example.com";
  const BOB = "bob@example.com";
  let own: TestStack;
  let aliceJobs: string[];
  let bobJobs: string[];

  beforeAll(async () => {
    // Its own stack, without a worker: retried jobs stay waiting, and nothing else goes dead here.
    own = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
    aliceJobs = await createEmails(own, USER_A.key, ALICE, 2);
    bobJobs = await createEmails(own, USER_B.key, BOB, 2);
    await killJobs(own, [...aliceJobs, ...bobJobs]);
  });

  afterAll(async () => {
    await own?.close();
  });

  it("shows only one recipient's dead jobs once its address is typed in the search box", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(page, ADMIN.key, own.url);
      const section = page.getByTestId("dead-jobs-email");
      const rows = section.locator("[data-testid=dead-table] tbody tr");
      await rows.nth(3).waitFor({ timeout: WAIT_MS });

      const filters = section.getByTestId("dead-filters");
      await filters.locator("input[name=q]").fill(ALICE);
      await filters.getByRole("button", { name: "Search" }).click();
      await pollUntil(() => rowIds(rows), (ids) => JSON.stringify(ids) === JSON.stringify([...aliceJobs].sort()));
      for (const text of await rows.allTextContents()) {
        expect(text).toContain(ALICE);
        expect(text).not.toContain(BOB);
      }
      expect(await section.getByTestId("dead-filter-summary").textContent()).toContain(`matching "${ALICE}"`);
      // While searching, the bulk buttons act on the matches; "Retry all" is gone.
      expect(await section.getByTestId("retry-all").isHidden()).toBe(true);
      expect(await section.getByTestId("retry-matching").isVisible()).toBe(true);

      // Nothing matches: it says so (nothing older is left to look at).
      await filters.locator("input[name=q]").fill("nobody@example.com");
      await filters.getByRole("button", { name: "Search" }).click();
      expect(await section.getByTestId("dead-empty").textContent({ timeout: WAIT_MS })).toBe("No dead jobs match.");

      // Bounds that cannot match are refused in the form, before any call.
      await filters.locator("input[name=since]").fill("2026-03-02T10:00");
      await filters.locator("input[name=until]").fill("2026-03-01T10:00");
      await filters.getByRole("button", { name: "Search" }).click();
      expect(await section.getByTestId("dead-filter-error").textContent({ timeout: WAIT_MS })).toMatch(/after/);

      await filters.getByRole("button", { name: "Clear" }).click();
      await rows.nth(3).waitFor({ timeout: WAIT_MS });
      expect(await section.getByTestId("dead-filter-error").isHidden()).toBe(true);
    } finally {
      await page.close();
    }
  });

  it("retries exactly the dead jobs a search matches, after a confirmation that shows the dry run's count", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(page, ADMIN.key, own.url);
      const section = page.getByTestId("dead-jobs-email");
      const rows = section.locator("[data-testid=dead-table] tbody tr");
      const filters = section.getByTestId("dead-filters");
      await filters.locator("input[name=userId]").fill(USER_B.userId);
      await filters.getByRole("button", { name: "Search" }).click();
      await pollUntil(() => rowIds(rows), (ids) => JSON.stringify(ids) === JSON.stringify([...bobJobs].sort()));

      await section.getByTestId("retry-matching").click();
      const message = page.getByTestId("confirm-message");
      expect(await message.textContent({ timeout: WAIT_MS })).toBe(`Retry 2 dead jobs owned by ${USER_B.userId}? Each goes back to waiting with fresh attempts.`);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/dashboard-dead-search.png`, fullPage: true });
      // The count came from a dry run: nothing has changed yet.
      for (const jobId of [...aliceJobs, ...bobJobs]) expect((await jobState(own, jobId)).state).toBe("dead");

      await page.getByTestId("confirm-button").click();
      expect(await section.getByTestId("dead-empty").textContent({ timeout: WAIT_MS })).toBe("No dead jobs match.");
      await page.getByTestId("banner").getByText(`2 jobs owned by ${USER_B.userId} waiting again.`).waitFor({ timeout: WAIT_MS });

      // Exactly those: user B's jobs wait again (no worker runs here), user A's are still dead.
      for (const jobId of bobJobs) expect((await jobState(own, jobId)).state).toBe("waiting");
      for (const jobId of aliceJobs) expect((await jobState(own, jobId)).state).toBe("dead");
      const left = (await (await own.request("GET", "/dead-jobs/email", { key: ADMIN.key })).json()) as { total: number; jobs: Array<{ jobId: string }> };
      expect(left.total).toBe(2);
      expect(left.jobs.map((job) => job.jobId).sort()).toEqual([...aliceJobs].sort());

      await filters.getByRole("button", { name: "Clear" }).click();
      await pollUntil(() => rowIds(rows), (ids) => JSON.stringify(ids) === JSON.stringify([...aliceJobs].sort()));

      // Delete matching asks the same way, and deletes those.
      await filters.locator("input[name=q]").fill(ALICE.toUpperCase());
      await filters.getByRole("button", { name: "Search" }).click();
      await section.getByTestId("dead-filter-summary").getByText(ALICE.toUpperCase()).waitFor({ timeout: WAIT_MS });
      await section.getByTestId("delete-matching").click();
      expect(await message.textContent({ timeout: WAIT_MS })).toBe(`Delete 2 dead jobs matching "${ALICE.toUpperCase()}" for good? Their data and history are lost.`);
      await page.getByTestId("confirm-button").click();
      await section.locator("h2", { hasText: "(0)" }).waitFor({ timeout: WAIT_MS });
      for (const jobId of aliceJobs) expect((await own.request("GET", `/jobs/status/email/${jobId}`, { key: ADMIN.key })).status).toBe(404);
      for (const jobId of bobJobs) expect((await jobState(own, jobId)).state).toBe("waiting");
    } finally {
      await page.close();
    }
  });

  it("cancels a scheduled job found by id, after a confirmation, and then shows it cancelled", async () => {
    const created = await own.request("POST", "/jobs/email/schedule", { key: USER_A.key, body: { to: ALICE, subject: "later", text: "x", delayMs: 3_600_000 } });
    expect(created.status).toBe(202);
    const { jobId } = (await created.json()) as { jobId: string };
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(page, ADMIN.key, own.url);
      const find = page.getByTestId("find-job");
      await find.locator("input[name=jobId]").fill(jobId);
      await find.getByRole("button", { name: "Find" }).click();
      const state = page.getByTestId("found-job-state");
      expect(await state.textContent({ timeout: WAIT_MS })).toBe("scheduled");
      // A time ahead counts down to it (it once said "0 s from now").
      expect(await page.getByTestId("found-job-scheduled-for").textContent()).toMatch(/\((59 min|1 h) from now\)/);

      // "Keep it" in the confirmation changes nothing.
      await page.getByTestId("job-cancel").click();
      expect(await page.getByTestId("confirm-message").textContent({ timeout: WAIT_MS })).toContain(jobId);
      await page.getByTestId("confirm-dismiss").click();
      expect((await jobState(own, jobId)).state).toBe("scheduled");

      await page.getByTestId("job-cancel").click();
      await page.getByTestId("confirm-button").click();
      await page.locator("[data-testid=found-job-state]", { hasText: "cancelled" }).waitFor({ timeout: WAIT_MS });
      await page.getByTestId("found-job-cancelled").waitFor({ timeout: WAIT_MS });
      expect(await page.getByTestId("job-controls").isHidden()).toBe(true);

      const status = await jobState(own, jobId);
      expect(status.state).toBe("cancelled");
      expect(Date.parse(status.cancelledAt!)).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      await page.close();
    }
  });

  it("reschedules a scheduled job, checks the new time before sending it, and shows the server's 409 for a job that died meanwhile", async () => {
    const created = await own.request("POST", "/jobs/email/schedule", { key: USER_A.key, body: { to: ALICE, subject: "later too", text: "x", delayMs: 3_600_000 } });
    expect(created.status).toBe(202);
    const { jobId } = (await created.json()) as { jobId: string };
    const before = (await jobState(own, jobId)).scheduledFor;
    // The page's clock in UTC, so the test can write a datetime-local value the page reads the same way.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: "UTC" });
    try {
      await signIn(page, ADMIN.key, own.url);
      const find = page.getByTestId("find-job");
      await find.locator("input[name=jobId]").fill(jobId);
      await find.getByRole("button", { name: "Find" }).click();
      expect(await page.getByTestId("found-job-state").textContent({ timeout: WAIT_MS })).toBe("scheduled");
      const reschedule = page.getByTestId("reschedule");
      const error = page.getByTestId("job-action-error");

      // Refused in the page, nothing sent.
      await reschedule.locator("input[name=delayMinutes]").fill("soon");
      await reschedule.getByRole("button", { name: "Reschedule" }).click();
      expect(await error.textContent({ timeout: WAIT_MS })).toMatch(/not a number of minutes/);
      expect((await jobState(own, jobId)).scheduledFor).toBe(before);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/dashboard-job-controls.png`, fullPage: true });

      // A delay in minutes.
      await reschedule.locator("input[name=delayMinutes]").fill("120");
      await reschedule.getByRole("button", { name: "Reschedule" }).click();
      const delayed = await pollUntil(() => jobState(own, jobId), (job) => job.scheduledFor !== before);
      expect(Date.parse(delayed.at(-1)!.scheduledFor!)).toBeGreaterThan(Date.now() + 110 * 60_000);
      expect(await error.isHidden()).toBe(true);

      // A local date and time (UTC here), to the minute.
      const at = new Date(Math.ceil((Date.now() + 3 * 3_600_000) / 60_000) * 60_000);
      await reschedule.locator("input[name=sendAt]").fill(at.toISOString().slice(0, 16));
      await reschedule.getByRole("button", { name: "Reschedule" }).click();
      await pollUntil(() => jobState(own, jobId), (job) => job.scheduledFor === at.toISOString());

      // The job dies behind the page's back while the page still shows it scheduled (its status
      // calls fail, so it cannot learn otherwise): the cancel is refused, and the page says why.
      await page.route("**/trpc/jobs.status**", (route) => route.abort("connectionrefused"));
      await killJobs(own, [jobId]);
      await page.getByTestId("job-cancel").click();
      await page.getByTestId("confirm-button").click();
      await error.getByText("JOB_NOT_PENDING").waitFor({ timeout: WAIT_MS });
      expect(await error.textContent()).toMatch(/^Cancelling job .* failed: The job is dead: .*\[JOB_NOT_PENDING\]/);
      await page.unroute("**/trpc/jobs.status**");
      await page.locator("[data-testid=found-job-state]", { hasText: "dead" }).waitFor({ timeout: WAIT_MS });
      expect(await page.getByTestId("job-controls").isHidden()).toBe(true);
      expect(await error.isVisible()).toBe(true);
      expect((await jobState(own, jobId)).state).toBe("dead");
    } finally {
      await page.close();
    }
  });
});
