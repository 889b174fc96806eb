/**
 * Sends a batch of independent Redis commands in one round trip: a pipeline on a single
 * Redis; on a Cluster, where a pipeline must stay in one slot, side by side without waiting.
 */
import type { Cluster, Redis } from "ioredis";

/** A single Redis or a Redis Cluster client. */
export type RedisClient = Redis | Cluster;

/** One command: its name and arguments. */
export type RedisCommand = [name: string, ...args: (string | number)[]];

/** Runs the commands and resolves with their replies, in order; rejects with the first error. */
export async function runBatch(redis: RedisClient, commands: readonly RedisCommand[]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  if (redis.isCluster) return Promise.all(commands.map(([name, ...args]) => redis.call(name, ...args)));
  const results = await redis.pipeline(commands as RedisCommand[]).exec();
  if (!results) throw new Error("the Redis pipeline was discarded");
  // exec() resolves even when single commands fail; surface the first failure.
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
