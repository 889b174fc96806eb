/**
 * Helpers for the rate-limit tests: rules with schema defaults, a sleep, free ports, and a
 * private redis-server child process (stopped by pid by the caller).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { rateLimitRule, type RateLimitRule, type RateLimitRuleInput } from "@taskgate/shared";

/** A rule through the real schema, so defaults (priority 100, cost 1) are the real ones. */
export function rule(input: RateLimitRuleInput): RateLimitRule {
  return rateLimitRule.parse(input);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A private redis-server on 127.0.0.1; `stop()` SIGKILLs it by pid and removes its folder. */
export interface PrivateRedis {
  port: number;
  process: ChildProcess;
  stop(): void;
}

/** Starts `redis-server` with no persistence (extra args appended) and waits until it answers PING. */
export async function startPrivateRedis(extraArgs: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tg-redis-"));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extraArgs], {
    stdio: "ignore",
  });
  const stop = () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {});
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch (error) {
        if (attempt >= 100) throw error;
        probe.disconnect();
        await sleep(50);
      }
    }
  } catch (error) {
    stop();
    throw error;
  } finally {
    probe.disconnect();
  }
  return { port, process: child, stop };
}
