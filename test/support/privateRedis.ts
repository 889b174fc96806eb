/**
 * A private redis-server for the tests that crash, stop, freeze or reconfigure their Redis (which
 * the suite's shared one must never be): on a free port, AOF on, in a temp dir, stopped by pid.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";
import { trackProcess, type RunningProcess } from "./processes.js";
import { sleep } from "./time.js";

/** A private redis-server (AOF on, fsync always) in a temp dir. */
export interface PrivateRedis {
  url: string;
  port: number;
  /** The redis-server process now running (a new one after `restart()`). */
  proc: RunningProcess;
  /** SIGKILL (a crash), keeping the data dir. */
  crash(): Promise<void>;
  /** Starts it again on the same port and dir (AOF replays). */
  restart(): Promise<void>;
  /** Stops it (SIGKILL, if it still runs) and removes its data. */
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Port to listen on; default a free one (give one to start Redis where a client already waits). */
  port?: number;
  /** redis-server arguments appended to the defaults (e.g. `["--cluster-enabled", "yes"]`). */
  args?: string[];
}

/** Waits until the Redis on `port` answers PING; rejects after about 5 s. */
async function untilAnswering(port: number, proc: RunningProcess): Promise<void> {
  const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await probe.connect();
        if ((await probe.ping()) === "PONG") return;
      } catch (error) {
        if (attempt >= 100 || proc.child.exitCode !== null) throw new Error(`redis-server on port ${port} does not answer (${String(error)}):\n${proc.output()}`);
        probe.disconnect();
        await sleep(50);
      }
    }
  } finally {
    probe.disconnect();
  }
}

/** Starts a private redis-server and resolves once it answers PING. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "taskgate-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--maxmemory-policy", "noeviction", ...(options.args ?? [])];
  const launch = async () => {
    const proc = trackProcess(spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] }));
    try {
      await untilAnswering(port, proc);
    } catch (error) {
      await proc.kill();
      throw error;
    }
    return proc;
  };
  let proc: RunningProcess;
  try {
    proc = await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get proc() {
      return proc;
    },
    async crash() {
      await proc.kill();
    },
    async restart() {
      proc = await launch();
    },
    async stop() {
      await proc.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
