/**
 * Test support: a real Redis connection and a random key prefix per test, so tests never
 * share keys and need no flush. `REDIS_URL` is set by `npm test` (scripts/test.ts); its cluster
 * pass also sets `TEST_REDIS_CLUSTER_NODES`, and then every helper here uses that Redis Cluster.
 */
import { randomBytes } from "node:crypto";
import { Cluster, Redis, type RedisOptions } from "ioredis";

/** The Redis the suite runs against (when no cluster is set). */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** `host:port,...` seeds of the Redis Cluster the suite runs against instead, when set. */
export const TEST_REDIS_CLUSTER_NODES: string | undefined = process.env.TEST_REDIS_CLUSTER_NODES || undefined;

/** A connection to the suite's Redis: a single Redis, or a Cluster in the cluster pass. */
export type TestRedis = Redis | Cluster;

function clusterSeeds(nodes: string): Array<{ host: string; port: number }> {
  return nodes.split(",").map((node) => {
    const [host, port] = node.trim().split(":") as [string, string];
    return { host, port: Number(port) };
  });
}

/** A new connection to the test Redis; close it with `quit()` in afterAll/afterEach. */
export function connectTestRedis(options: RedisOptions = {}): TestRedis {
  if (TEST_REDIS_CLUSTER_NODES) return new Cluster(clusterSeeds(TEST_REDIS_CLUSTER_NODES), { redisOptions: { maxRetriesPerRequest: 1, ...options } });
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: false, ...options });
}

/**
 * A connection for a BullMQ `Queue` or `Worker` a test builds itself (BullMQ workers need
 * `maxRetriesPerRequest: null`; BullMQ cannot open a Cluster from options, so it is always a
 * client). BullMQ does not close a client it was given: `quit()` it after closing the queue.
 */
export function testConnection(): TestRedis {
  return connectTestRedis({ maxRetriesPerRequest: null });
}

/** The environment that points a config or a spawned process at the test Redis. */
export function testRedisEnv(): { REDIS_URL: string } | { REDIS_CLUSTER_NODES: string } {
  return TEST_REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES } : { REDIS_URL: TEST_REDIS_URL };
}

/** A fresh prefix like `t-3f9a1c`, unique per call. */
export function randomPrefix(): string {
  return `t-${randomBytes(5).toString("hex")}`;
}

/** The single Redis, or every master of the cluster (each holds part of the keys). */
function masters(redis: TestRedis): Redis[] {
  return redis instanceof Cluster ? redis.nodes("master") : [redis];
}

/** Every key matching a glob pattern (SCAN on every master; `KEYS` would see one node of a cluster). */
export async function keysMatching(redis: TestRedis, pattern: string): Promise<string[]> {
  if (redis instanceof Cluster && redis.status !== "ready") await redis.ping();
  const found: string[] = [];
  for (const node of masters(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== "0");
  }
  return found;
}

/** Deletes every key under a prefix (SCAN, so it is safe on a shared Redis; every master of a cluster). */
export async function deletePrefix(redis: TestRedis, prefix: string): Promise<void> {
  if (redis instanceof Cluster && redis.status !== "ready") await redis.ping();
  for (const node of masters(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      // One UNLINK per key on a cluster: the keys of one node still span many slots.
      if (keys.length > 0) await (redis instanceof Cluster ? Promise.all(keys.map((key) => node.unlink(key))) : node.unlink(...keys));
    } while (cursor !== "0");
  }
}

/** What a connection sent while some work ran. */
export interface SentCommands {
  /** Command names, in order. */
  names: string[];
  /**
   * Round trips: each plain command is one, each pipeline (however many commands) is one. On a
   * Cluster, commands sent side by side in one turn of the event loop (as `runBatch` sends them,
   * to several nodes at once) are one: the caller waits for them once.
   */
  roundTrips: number;
}

/**
 * Records the commands connections (Redis or Cluster clients; e.g. the API's own and its
 * queues') send while `work` runs, counted together.
 */
export async function commandsSent(connections: TestRedis | readonly TestRedis[], work: () => Promise<unknown>): Promise<SentCommands> {
  const names: string[] = [];
  const pipelines = new Set<unknown>();
  let plain = 0;
  let turnOpen = false;
  /** Counts what `connection` sends from now on; returns the function that stops counting. */
  const record = (connection: TestRedis): (() => void) => {
    const cluster = connection instanceof Cluster;
    const client = connection as unknown as { sendCommand: (...args: Parameters<Redis["sendCommand"]>) => unknown };
    const original = client.sendCommand;
    client.sendCommand = function (this: unknown, ...args: Parameters<Redis["sendCommand"]>) {
      names.push(args[0].name);
      // ioredis hands every command of one pipeline the same `{ isPipeline: true }` stream object.
      const stream = args[1] as { isPipeline?: boolean } | undefined;
      if (stream?.isPipeline) pipelines.add(stream);
      else if (!cluster) plain += 1;
      else if (!turnOpen) {
        plain += 1;
        turnOpen = true;
        setImmediate(() => (turnOpen = false));
      }
      return original.apply(this, args);
    };
    return () => (client.sendCommand = original);
  };
  // One connection given twice (the API's own and its queues' are one client on a Cluster) is counted once.
  const stops = [...new Set(Array.isArray(connections) ? connections : [connections as TestRedis])].map(record);
  try {
    await work();
  } finally {
    for (const stop of stops) stop();
  }
  return { names, roundTrips: plain + pipelines.size };
}

/** Deletes every key under the given prefixes over a connection of its own (for clean-up hooks). */
export async function dropPrefixes(...prefixes: string[]): Promise<void> {
  const redis = connectTestRedis();
  try {
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
  } finally {
    await redis.quit();
  }
}
