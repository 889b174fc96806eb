import { Queue } from "bullmq";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { bullPrefix } from "@taskgate/shared";
import { decodeCursor, encodeCursor, type FailedSetPosition } from "../../src/deadJobs/index.js";
import { readFailedPage } from "../../src/deadJobs/failedSet.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis } from "#test-support/redis.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());

const prefix = prefixPerTest(redis);
let queue: Queue;
beforeEach(() => {
  queue = new Queue("email", { connection: redis, prefix: bullPrefix(prefix()) });
});
afterEach(() => queue.close());

async function walk(pageSize: number): Promise<string[]> {
  const seen: string[] = [];
  let after: FailedSetPosition | undefined;
  for (;;) {
    const { entries } = await readFailedPage(redis, queue, after, pageSize);
    seen.push(...entries.map((entry) => entry.jobId));
    if (entries.length < pageSize) return seen;
    // Through the public cursor, as a client would pass it back.
    after = decodeCursor(encodeCursor(entries.at(-1)!));
  }
}

describe("reading the failed set newest first", () => {
  it("pages through jobs that died in the same millisecond without skipping or repeating any", async () => {
    const key = queue.toKey("failed");
    // 40 jobs over three scores, ids chosen so byte order differs from numeric order ("10" < "9").
    for (let i = 0; i < 40; i++) await redis.zadd(key, i % 3 === 0 ? 1_000 : 2_000 + (i % 2), String(i));
    const expected = await redis.zrevrange(key, 0, -1);
    for (const pageSize of [1, 3, 4, 7, 40, 41]) expect(await walk(pageSize)).toEqual(expected);
  });

  it("continues after a cursor whose job has since left the set", async () => {
    const key = queue.toKey("failed");
    for (let i = 0; i < 6; i++) await redis.zadd(key, 1_000 + i, `job-${i}`);
    const first = await readFailedPage(redis, queue, undefined, 2);
    expect(first.entries.map((e) => e.jobId)).toEqual(["job-5", "job-4"]);
    await redis.zrem(key, "job-4", "job-3");
    const next = await readFailedPage(redis, queue, first.entries.at(-1), 2);
    expect(next.entries.map((e) => e.jobId)).toEqual(["job-2", "job-1"]);
    expect(next.total).toBe(4);
  });

  it("rejects a cursor it did not make", () => {
    for (const bad of ["", "abc", Buffer.from("x:1").toString("base64url"), Buffer.from("12:").toString("base64url"), "a+b/"]) {
      expect(() => decodeCursor(bad), bad).toThrow(/not valid/);
    }
  });
});
