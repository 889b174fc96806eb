/**
 * Finds a Redis for `npm start` and `npm test`: the one at REDIS_URL if it answers, else a
 * private `redis-server` (data under `.data/`, AOF on) started here and stopped on exit.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { Redis } from "ioredis";
import { sleep } from "./sleep.js";

/** A Redis that answers, and how to stop it if we started it. */
export interface EnsuredRedis {
  url: string;
  /** True when this process started a private redis-server. */
  started: boolean;
  stop(): Promise<void>;
}

/** Whether a Redis answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** The message that names both fixes when there is no Redis and none can be started. */
export function noRedisMessage(url: string): string {
  return [
    `No Redis answers at ${url}, and redis-server is not installed, so none can be started.`,
    "Fix it with one of:",
    "  - install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), then run this again;",
    "  - or start one with Docker: docker compose up -d redis",
    "  - or point REDIS_URL at a Redis that runs elsewhere.",
  ].join("\n");
}

export async function ensureRedis(url: string, dataDir = ".data/redis"): Promise<EnsuredRedis> {
  if (await redisAnswers(url)) return { url, started: false, stop: async () => undefined };
  if (!onPath("redis-server")) throw new Error(noRedisMessage(url));
  const parsed = new URL(url);
  const host = ["localhost", "127.0.0.1", "::1", "[::1]"].includes(parsed.hostname) ? "127.0.0.1" : undefined;
  if (!host) throw new Error(`No Redis answers at ${url}; a private one can only be started for a local address.\n${noRedisMessage(url)}`);
  const port = parsed.port || "6379";
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", port, "--bind", host, "--dir", dir, "--appendonly", "yes", "--save", "", "--maxmemory-policy", "noeviction", "--daemonize", "no"],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  for (let i = 0; i < 50; i += 1) {
    if (await redisAnswers(url, 500)) break;
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} while starting on port ${port}.`);
    await sleep(100);
  }
  if (!(await redisAnswers(url, 500))) {
    child.kill("SIGKILL");
    throw new Error(`Started redis-server on port ${port}, but it does not answer.`);
  }
  return {
    url,
    started: true,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
