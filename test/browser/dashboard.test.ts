/**
 * The admin dashboard in a real browser (headless Chromium via playwright-core) against a live
 * API, worker and SMTP server: sign in with the admin key, find a dead job the test made, open
 * it, retry it after fixing its cause and watch it leave the list; find a request the rate
 * limiter blocked, filter for it; and see that a non-admin key gets an error message, not data.
 * A screenshot goes to .artifacts/dashboard.png.
 */
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "#test-support/browser.js";
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

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${stack.url}/admin`);
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
});
