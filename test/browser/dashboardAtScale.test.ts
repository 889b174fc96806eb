/**
 * The dashboard with 1 000 dead jobs and 10 000 blocked-log entries: it loads one page of each
 * (20 dead jobs, 50 blocked entries), pages through them, and never loads the whole set; searches
 * the dead jobs 200 at a time; then deletes one dead job and retries all the others from the page.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockedLogOptions, recordBlocked } from "../../server/src/rateLimit/index.js";
import { launchChromium } from "#test-support/browser.js";
import { makeDeadJobs } from "#test-support/deadJobs.js";
import { connectTestRedis } from "#test-support/redis.js";
import { ADMIN, API_KEYS_JSON, startStack, type TestStack } from "#test-support/stack.js";

const DEAD_JOBS = 1000;
const BLOCKED_ENTRIES = 10_000;
const WAIT_MS = 15_000;

let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
  await makeDeadJobs(stack, DEAD_JOBS, "bulk");
  const redis = connectTestRedis();
  try {
    for (let start = 0; start < BLOCKED_ENTRIES; start += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          recordBlocked(redis, stack.prefix, { at: Date.now(), requestId: `bulk-${start + i}`, ip: "10.0.0.9", userId: "flood", route: "POST /jobs/email", rule: "email-per-user", limit: 60, windowMs: 60_000, retryAfterMs: 1000 }, blockedLogOptions(stack.config)),
        ),
      );
    }
  } finally {
    await redis.quit();
  }
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe("dashboard at 1 000 dead jobs and 10 000 blocked entries", () => {
  it("shows one page of each, pages through them, deletes one and retries all", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const listCalls: string[] = [];
    page.on("request", (request) => {
      if (/\/trpc\/(deadJobs\.list|monitoring\.blocked)\?/.test(request.url())) listCalls.push(request.url());
    });
    await page.goto(`${stack.url}/admin`);
    await page.getByTestId("key-input").fill(ADMIN.key);
    await page.getByTestId("key-submit").click();

    const deadRows = page.locator("[data-testid=dead-table] tbody tr");
    await deadRows.first().waitFor({ timeout: WAIT_MS });
    expect(await deadRows.count()).toBe(20);
    const section = page.getByTestId("dead-jobs-email");
    expect(await section.locator("h2").textContent()).toContain(`(${DEAD_JOBS})`);
    const firstPage = await deadRows.evaluateAll((rows) => rows.map((row) => row.getAttribute("data-job-id")));

    await page.getByTestId("dead-older").click();
    await section.getByText(`21–40 of ${DEAD_JOBS}`).waitFor({ timeout: WAIT_MS });
    const secondPage = await deadRows.evaluateAll((rows) => rows.map((row) => row.getAttribute("data-job-id")));
    expect(secondPage).toHaveLength(20);
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);
    await page.getByTestId("dead-newer").click();
    await section.getByText(`1–20 of ${DEAD_JOBS}`).waitFor({ timeout: WAIT_MS });

    const blockedRows = page.locator("[data-testid=blocked-table] tbody tr");
    await blockedRows.first().waitFor({ timeout: WAIT_MS });
    expect(await blockedRows.count()).toBe(50);
    expect(await blockedRows.first().getAttribute("data-request-id")).toBe(`bulk-${BLOCKED_ENTRIES - 1}`);
    await page.getByTestId("blocked-older").click();
    await page.locator("[data-testid=blocked-table] tbody tr:nth-child(100)").waitFor({ timeout: WAIT_MS });
    expect(await blockedRows.count()).toBe(100);
    expect(await blockedRows.nth(99).getAttribute("data-request-id")).toBe(`bulk-${BLOCKED_ENTRIES - 100}`);
    // Older pages stay put (no auto-refresh) until "Back to newest".
    await page.getByTestId("blocked-newest").click();
    await page.locator("[data-testid=blocked-table] tbody tr:nth-child(51)").waitFor({ state: "detached", timeout: WAIT_MS });
    expect(await blockedRows.count()).toBe(50);
    expect(await page.getByTestId("blocked-newest").isHidden()).toBe(true);

    // A search that matches nothing: each page examines at most 200 dead jobs, so the page offers
    // to keep searching instead of saying "none", until nothing older is left.
    const filters = section.getByTestId("dead-filters");
    await filters.locator("input[name=q]").fill("matches-no-job");
    await filters.getByRole("button", { name: "Search" }).click();
    let searched = 0;
    for (; searched < 10 && (await section.getByTestId("dead-empty").count()) === 0; searched++) {
      await section.getByTestId("dead-keep-searching").click({ timeout: WAIT_MS });
      await section.getByTestId("dead-position").getByText(`page ${searched + 2}:`).waitFor({ timeout: WAIT_MS });
    }
    expect(await section.getByTestId("dead-empty").textContent()).toBe("No older dead jobs match.");
    expect(searched).toBe(DEAD_JOBS / 200 - 1);
    await filters.getByRole("button", { name: "Clear" }).click();
    await section.getByText(`1–20 of ${DEAD_JOBS}`).waitFor({ timeout: WAIT_MS });

    // A failed action says so and changes nothing.
    await page.route("**/trpc/deadJobs.delete**", (route) => route.abort("connectionrefused"));
    const victim = await deadRows.first().getAttribute("data-job-id");
    await deadRows.first().getByTestId("row-delete").click();
    await page.getByTestId("confirm-button").click();
    await page.getByTestId("banner").getByText(`Deleting job ${victim} failed`).waitFor({ timeout: WAIT_MS });
    expect(await stack.api.deps.queues.email.getJobState(victim!)).toBe("failed");
    await page.unroute("**/trpc/deadJobs.delete**");

    // Delete one (after confirming): it leaves the table and the total.
    const doomed = await deadRows.first().getAttribute("data-job-id");
    await deadRows.first().getByTestId("row-delete").click();
    await page.getByTestId("confirm-button").click();
    await page.locator(`[data-testid=dead-table] tr[data-job-id="${doomed}"]`).waitFor({ state: "detached", timeout: WAIT_MS });
    await section.locator("h2", { hasText: `(${DEAD_JOBS - 1})` }).waitFor({ timeout: WAIT_MS });
    expect(await stack.api.deps.queues.email.getJob(doomed!)).toBeUndefined();

    // Retry all (after confirming): every dead job goes back to waiting (no worker runs here).
    await page.getByTestId("retry-all").click();
    await page.getByTestId("confirm-button").click();
    await page.getByTestId("dead-empty").waitFor({ timeout: WAIT_MS });
    expect(await stack.api.deps.queues.email.getFailedCount()).toBe(0);
    expect(await stack.api.deps.queues.email.getWaitingCount()).toBe(DEAD_JOBS - 1);

    // Every list call asked for one page, never for everything.
    const limits = listCalls.map((url) => Number(/"limit":(\d+)/.exec(decodeURIComponent(url))?.[1]));
    expect(limits.length).toBeGreaterThan(0);
    expect(limits.every((limit) => limit === 20 || limit === 50), listCalls.map(decodeURIComponent).join("\n")).toBe(true);
    await page.close();
  });
});
