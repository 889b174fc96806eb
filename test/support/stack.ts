/**
 * Starts Taskgate in-process for a test — API on a free port, optionally the email worker —
 * against the test Redis (or the test Redis Cluster) with a random key prefix, and tears it all down again.
 */
import { parseConfig, type Config, type Env } from "@taskgate/shared";
import { startApi, type RunningApi, type StartApiOptions } from "@taskgate/server";
import { startWorker, type RunningWorker, type StartWorkerOptions } from "@taskgate/worker";
import { pino, type Logger } from "pino";
import { dropPrefixes, randomPrefix, testRedisEnv } from "./redis.js";

/** A user key and an admin key, for tests that use API_KEYS. */
export const USER_A = { key: "user-a-key-0123456789", userId: "user-a", tier: "free" };
export const USER_B = { key: "user-b-key-0123456789", userId: "user-b", tier: "pro" };
export const ADMIN = { key: "admin-key-0123456789ab", userId: "ops", admin: true };
export const API_KEYS_JSON = JSON.stringify([USER_A, USER_B, ADMIN]);

export interface TestStack {
  config: Config;
  prefix: string;
  api: RunningApi;
  worker: RunningWorker | undefined;
  url: string;
  /** fetch against the API with JSON and an optional key. */
  request(method: string, path: string, options?: { body?: unknown; key?: string; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export interface StackOptions {
  env?: Env;
  /** Start the email worker too (default true). */
  worker?: boolean;
  workerOptions?: StartWorkerOptions;
  /** Key prefix to use instead of a fresh random one: stacks given the same prefix act as processes of one deployment. */
  prefix?: string;
  /** Options of `startApi` besides the logger (e.g. `trpcFastPath: false`). */
  apiOptions?: Omit<StartApiOptions, "logger">;
  /** Logger of the API (and of the worker unless `workerOptions.logger` is given); default silent unless TEST_LOG_LEVEL. */
  logger?: Logger;
}

export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const prefix = options.prefix ?? randomPrefix();
  const config = parseConfig({ ...testRedisEnv(), KEY_PREFIX: prefix, PORT: "0", LOG_LEVEL: "silent", OUTBOX_DIR: `.data/test-outbox/${prefix}`, ...options.env });
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const api = await startApi(config, { ...options.apiOptions, logger });
  const worker = options.worker === false ? undefined : await startWorker(config, { logger, ...options.workerOptions });
  const url = api.url;
  return {
    config,
    prefix,
    api,
    worker,
    url,
    request(method, path, { body, key, headers } = {}) {
      return fetch(url + path, {
        method,
        headers: {
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      });
    },
    async close() {
      await Promise.all([api.close(), worker?.close()]);
      await dropPrefixes(prefix);
    },
  };
}
