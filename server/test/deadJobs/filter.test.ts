/**
 * Dead jobs found by a filter with bounded Redis work (deadJobs/filter.ts): over 5 000 dead jobs
 * a filtered page examines at most DEAD_JOBS_SCAN_BUDGET (200) of them — one read of the failed
 * set and one pipelined HMGET each — whatever the filter, and following `nextCursor` finds
 * exactly the matching jobs, none twice.
 */
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { bullPrefix, DEAD_JOBS_SCAN_BUDGET, type EmailJobData, type QueueName } from "@taskgate/shared";
import { listDeadJobs, matchesFields, type DeadJobsDeps } from "../../src/deadJobs/index.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { commandsSent, connectTestRedis } from "#test-support/redis.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());
const prefix = prefixPerTest(redis);
let queue: Queue;
let deps: DeadJobsDeps;
beforeEach(() => {
  queue = new Queue("email", { connection: redis, prefix: bullPrefix(prefix()) });
  deps = { queues: { email: queue } as Record<QueueName, Queue>, redis };
});
afterEach(() => queue.close());

const DEAD = 5000;
const diedAt = (i: number) => 1_700_000_000_000 + i * 1000;

/**
 * Writes `count` dead jobs the way BullMQ leaves them (the job hash and the failed set), in a
 * few pipelines rather than running 5 000 jobs through a worker. Every 500th is Rare Person's.
 */
async function seedDeadJobs(count: number): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(count, start + 500); i++) {
      const to = i % 500 === 7 ? "rare.person@example.com" : `user${i}@example.com`;
      const data: EmailJobData = { email: { to: [to], subject: `invoice ${i}`, text: "x" }, requestId: `r${i}`, ownerId: i % 2 === 0 ? "even" : "odd" } as EmailJobData;
      pipeline.hset(queue.toKey(`j${i}`), { name: "send", data: JSON.stringify(data), opts: JSON.stringify({ attempts: 3 }), timestamp: diedAt(i) - 500, finishedOn: diedAt(i), failedReason: i % 3 === 0 ? "recipient rejected: 550 5.1.1 unknown" : "SMTP server unreachable", atm: 3 });
      pipeline.zadd(queue.toKey("failed"), diedAt(i), `j${i}`);
    }
    await pipeline.exec();
  }
}

/** Every page of a filtered list, and the commands each page sent. */
async function walk(filter: Parameters<typeof listDeadJobs>[2]["filter"], limit = 20) {
  const pages: Array<{ jobIds: string[]; commands: string[] }> = [];
  let cursor: string | undefined;
  for (;;) {
    let page: Awaited<ReturnType<typeof listDeadJobs>> | undefined;
    const { names } = await commandsSent(redis, async () => {
      page = await listDeadJobs(deps, "email", { limit, cursor, filter });
    });
    pages.push({ jobIds: page!.jobs.map((job) => job.jobId), commands: names });
    if (!page!.nextCursor) return pages;
    cursor = page!.nextCursor;
  }
}

describe("a filtered list of dead jobs", () => {
  it("examines at most 200 dead jobs per page over 5 000, and the pages find exactly the matches", async () => {
    await seedDeadJobs(DEAD);
    const pages = await walk({ q: "RARE.person" });
    // 5 000 / 200 examined per page: 25 pages (the last one knows nothing is left).
    expect(pages).toHaveLength(Math.ceil(DEAD / DEAD_JOBS_SCAN_BUDGET));
    for (const { commands } of pages) {
      expect(commands.filter((name) => name === "hmget").length).toBeLessThanOrEqual(DEAD_JOBS_SCAN_BUDGET);
      // The failed-set read (MULTI, ZREVRANGEBYSCORE, ZCARD, EXEC), the HMGETs, and per match
      // the job and its log: bounded by the budget plus what the page returns.
      expect(commands.length).toBeLessThanOrEqual(DEAD_JOBS_SCAN_BUDGET + 5 + 2 * 20);
    }
    const found = pages.flatMap((page) => page.jobIds);
    expect(found).toEqual(Array.from({ length: DEAD / 500 }, (_, k) => `j${DEAD - 500 + 7 - k * 500}`));
  });

  it("narrows by time in the read itself, and by owner; a page without fields to read sends no HMGET", async () => {
    await seedDeadJobs(1000);
    const timeOnly = await walk({ since: diedAt(990), until: diedAt(999) }, 100);
    expect(timeOnly.flatMap((page) => page.jobIds)).toEqual(Array.from({ length: 10 }, (_, k) => `j${999 - k}`));
    expect(timeOnly.flatMap((page) => page.commands).filter((name) => name === "hmget")).toEqual([]);
    const odd = (await walk({ userId: "odd", since: diedAt(900) }, 100)).flatMap((page) => page.jobIds);
    expect(odd).toHaveLength(50);
    expect(odd.every((jobId) => Number(jobId.slice(1)) % 2 === 1)).toBe(true);
  });
});

describe("matching one job", () => {
  const job = { jobId: "abc123", failedReason: "SMTP server unreachable", data: { ownerId: "u1", email: { to: ["Ann@Example.com"], cc: "cc@example.com", bcc: ["hidden@example.com"], subject: "Your Invoice" } } } as never;
  it("matches q case-insensitively in a recipient, the subject, the id or the reason", () => {
    for (const q of ["ann@example", "CC@EXAMPLE.COM", "hidden", "invoice", "ABC1", "unreachable"]) expect(matchesFields(job, { q }), q).toBe(true);
    expect(matchesFields(job, { q: "bob" })).toBe(false);
  });
  it("matches userId exactly, combined with q by AND", () => {
    expect(matchesFields(job, { userId: "u1" })).toBe(true);
    expect(matchesFields(job, { userId: "u" })).toBe(false);
    expect(matchesFields(job, { userId: "u1", q: "bob" })).toBe(false);
  });
});
