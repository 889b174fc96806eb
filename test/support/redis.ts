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

/** What a connection sent while some work ran. */
export interface SentCommands {
  /** Command names, in order. */
  names: string[];
  /** Round trips: each plain command is one, each pipeline (however many commands) is one. */
  roundTrips: number;
}

/** Records the commands a connection sends while `work` runs. */
export async function commandsSent(connection: Redis, work: () => Promise<unknown>): Promise<SentCommands> {
  const names: string[] = [];
  const pipelines = new Set<unknown>();
  let plain = 0;
  const original = connection.sendCommand;
  connection.sendCommand = function (this: Redis, ...args: Parameters<Redis["sendCommand"]>) {
    names.push(args[0].name);
    // ioredis hands every command of one pipeline the same `{ isPipeline: true }` stream object.
    const stream = args[1] as { isPipeline?: boolean } | undefined;
    if (stream?.isPipeline) pipelines.add(stream);
    else plain += 1;
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    connection.sendCommand = original;
  }
  return { names, roundTrips: plain + pipelines.size };
}
