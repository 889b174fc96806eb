/**
 * Makes docs/images/dashboard.png, the README's screenshot: a throwaway stack (random key
 * prefix, removed afterwards) with an hour of DEMO traffic written straight into the counter
 * buckets and BullMQ's per-minute metrics, 37 dead jobs and 60 blocked requests, photographed in
 * headless Chromium. Not a test and not part of `npm test`; run it by hand after changing the page:
 *
 *   npx tsx --conditions=source scripts/dashboardScreenshot.ts
 */
import { bullPrefix, redisKeys } from "@taskgate/shared";
import { blockedLogOptions, recordBlocked } from "../server/src/rateLimit/index.js";
import { launchChromium } from "../test/support/browser.js";
import { makeDeadJobs } from "../test/support/deadJobs.js";
import { connectTestRedis } from "../test/support/redis.js";
import { ADMIN, API_KEYS_JSON, startStack } from "../test/support/stack.js";
import { ensureDashboardBuilt } from "./lib/dashboardBuild.js";

const OUT = "docs/images/dashboard.png";
const MINUTE_MS = 60_000;

/** A plausible count for minute `i`: a slow wave with some noise. */
const wave = (i: number, base: number, swing: number) => Math.max(0, Math.round(base + swing * Math.sin(i / 7) + (Math.random() - 0.5) * base * 0.3));

await ensureDashboardBuilt();
const stack = await startStack({ env: { API_KEYS: API_KEYS_JSON }, worker: false });
const redis = connectTestRedis();
try {
  const keys = redisKeys(stack.prefix);
  const now = Date.now();
  const pipeline = redis.pipeline();
  const completed: number[] = [];
  const dead: number[] = [];
  for (let i = 0; i < 60; i++) {
    const start = Math.floor((now - (59 - i) * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
    pipeline.hset(keys.counterBucket("requests", "minute", start), "status:202", wave(i, 420, 120), "status:304", wave(i, 8, 4), "status:429", wave(i, 40, 25), "status:503", i === 41 ? 9 : 0);
    pipeline.hset(keys.counterBucket("blocked", "minute", start), "total", wave(i, 25, 20));
    completed.push(wave(i, 180, 60));
    dead.push(i === 41 ? 6 : i % 13 === 0 ? 1 : 0);
  }
  // BullMQ's per-minute metrics: `data` holds the earlier minutes, newest first; `meta` the current one.
  const queue = `${bullPrefix(stack.prefix)}:email`;
  for (const [name, counts] of [["completed", completed], ["failed", dead]] as const) {
    pipeline.hset(`${queue}:metrics:${name}`, "count", 1000 + counts[59]!, "prevTS", now, "prevCount", 1000);
    pipeline.rpush(`${queue}:metrics:${name}:data`, ...counts.slice(0, 59).reverse());
  }
  await pipeline.exec();
  await makeDeadJobs(stack, 37, "newsletter");
  const users = ["user-b", "user-c", "acme-billing", "user-b"];
  for (let i = 0; i < 60; i++) {
    const byIp = i % 5 === 0;
    await recordBlocked(redis, stack.prefix, {
      at: Date.now(),
      requestId: crypto.randomUUID(),
      ip: `10.0.${i % 3}.${20 + (i % 7)}`,
      userId: users[i % 4],
      route: byIp ? "GET /jobs/status/:queue/:jobId" : "POST /jobs/email",
      rule: byIp ? "ip-default" : "email-per-user",
      limit: byIp ? 300 : 60,
      windowMs: 60_000,
      retryAfterMs: 1000 + ((i * 737) % 40_000),
    }, blockedLogOptions(stack.config));
  }

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${stack.url}/admin`);
    await page.getByTestId("key-input").fill(ADMIN.key);
    await page.getByTestId("key-submit").click();
    await page.locator("[data-testid=dead-table] tbody tr").first().waitFor();
    await page.locator("[data-testid=blocked-table] tbody tr").first().waitFor();
    await page.screenshot({ path: OUT });
    console.log(`wrote ${OUT}`);
  } finally {
    await browser.close();
  }
} finally {
  await redis.quit();
  await stack.close();
}
