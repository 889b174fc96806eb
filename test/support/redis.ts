/**
 * Test support: a real Redis connection and a random key prefix per test, so tests never
 * share keys and need no flush. `REDIS_URL` is set by `npm test` (scripts/test.ts).
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The Redis the suite runs against. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A fresh prefix like `t-3f9a1c`, unique per call. */
export function randomPrefix(): string {
  return `t-${randomBytes(5).toString("hex")}`;
}

/** A new connection to the test Redis; close it with `quit()` in afterAll/afterEach. */
export function connectTestRedis(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: false });
}

/** Deletes every key under a prefix (SCAN, so it is safe on a shared Redis). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== "0");
}
