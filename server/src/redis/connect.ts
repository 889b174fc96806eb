/**
 * Redis connections for the API. Request-path commands must fail fast when Redis is away
 * (a short command timeout, no offline queue), so a request answers 503 instead of hanging.
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Config } from "@taskgate/shared";
import type { RedisClient } from "@taskgate/shared/runtime";

/** A single Redis or a Redis Cluster client (defined with the shared Redis helpers). */
export type { RedisClient };

/** Whether every connection given is ready to take commands (the API has its own and the queues'). */
export function allReady(connections: readonly RedisClient[]): boolean {
  return connections.every((redis) => (redis.status as string) === "ready");
}

/** Options of `connectRedis`. */
export interface ConnectRedisOptions {
  /**
   * Whether commands of one event-loop turn go out in one write (single Redis only; a cluster
   * never auto-pipelines, see below). Default true. False for the queues' connection: BullMQ
   * defines its Lua commands on it when it first sees it ready, and on an auto-pipelined
   * connection a command issued into a pipeline made before its definition throws an uncaught
   * exception in ioredis (redis/ioredis#1931).
   */
  autoPipelining?: boolean;
}

/** Opens a request-path connection per the config (cluster when REDIS_CLUSTER_NODES is set). */
export function connectRedis(config: Config, name: string, connectOptions: ConnectRedisOptions = {}): RedisClient {
  const options: RedisOptions = {
    connectionName: `taskgate-${name}`,
    commandTimeout: config.redisCommandTimeoutMs,
    // Commands issued while disconnected fail at once instead of queueing behind a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
  if (config.redisClusterNodes) {
    // No auto-pipelining here: ioredis's Cluster pipelines commands per slot of their first key
    // and refuses a pipeline whose other keys lie elsewhere ("All keys in the pipeline should
    // belong to the same slots allocation group"), which the three-process cluster test hit.
    return new Cluster(config.redisClusterNodes, { redisOptions: options, enableOfflineQueue: false });
  }
  // Commands issued in one event-loop turn (a request's limiter call, another request's
  // idempotency claim, a queue add) go out in one socket write instead of one each: under load
  // one write(2) per command was the API's largest single cost (BENCHMARKS.md, profile
  // findings). Order on the connection is unchanged.
  return new Redis(config.redisUrl, { ...options, enableAutoPipelining: connectOptions.autoPipelining ?? true });
}
