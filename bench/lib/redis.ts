/**
 * Benchmark Redis helpers: the one Redis URL every benchmark uses, a random key prefix per run,
 * and the SCAN + UNLINK sweep that removes everything a run wrote.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The Redis every benchmark runs against. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Refuses a non-loopback Redis: a benchmark hammers it for a minute or two, which must never
 * happen to a shared server by accident. `BENCH_ALLOW_REMOTE_REDIS=1` overrides.
 */
export function assertLocalRedis(url: string = REDIS_URL): void {
  const host = new URL(url).hostname;
  if (LOOPBACK.has(host) || process.env.BENCH_ALLOW_REMOTE_REDIS === "1") return;
  throw new Error(`REDIS_URL points at ${host}; benchmarks only run against a local Redis (set BENCH_ALLOW_REMOTE_REDIS=1 to override)`);
}

/** A fresh run prefix like `bench-3f9a1c2b`: every key a run writes starts with it. */
export function randomPrefix(): string {
  return `bench-${randomBytes(4).toString("hex")}`;
}

/** A plain connection (one per contender, so contenders never share a socket). */
export function connect(name: string, options: { blocking?: boolean } = {}): Redis {
  return new Redis(REDIS_URL, {
    connectionName: `taskgate-bench-${name}`,
    // BullMQ workers block on Redis and need null here; everything else fails after one retry.
    maxRetriesPerRequest: options.blocking ? null : 1,
  });
}

/** Deletes every key starting with `prefix` (SCAN, safe on a shared Redis); returns how many. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== "0");
  return deleted;
}

/** `redis_version` from INFO server. */
export async function redisVersion(redis: Redis): Promise<string> {
  const info = await redis.info("server");
  return /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? "unknown";
}

/** CPU the Redis server process has used so far (INFO cpu, user + system), in µs. Server-wide. */
export async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1_000_000;
}
