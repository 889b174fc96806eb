/**
 * A private Redis Cluster of three masters on free loopback ports, for the test suite's cluster
 * pass (`npm test` runs the integration tests once against a single Redis and once against it).
 * Every process is started here and stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redisAnswers } from "./ensureRedis.js";
import { freePort } from "./freePort.js";
import { sleep } from "./sleep.js";

export interface PrivateCluster {
  /** `host:port,host:port,host:port`, the form REDIS_CLUSTER_NODES takes. */
  nodes: string;
  stop(): Promise<void>;
}

function clusterState(port: number): string {
  const out = spawnSync("redis-cli", ["-p", String(port), "cluster", "info"], { encoding: "utf8" }).stdout ?? "";
  return /cluster_state:(\w+)/.exec(out)?.[1] ?? "unknown";
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), "taskgate-cluster-"));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--dir", dir, "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    ),
  );
  const stop = async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await sleep(50);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      for (let i = 0; i < 100 && !(await redisAnswers(`redis://127.0.0.1:${port}`, 300)); i += 1) await sleep(50);
    }
    const create = spawnSync("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-yes"], { encoding: "utf8" });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
    for (let i = 0; i < 200 && !ports.every((port) => clusterState(port) === "ok"); i += 1) await sleep(50);
    if (!ports.every((port) => clusterState(port) === "ok")) throw new Error("the private cluster did not reach cluster_state:ok");
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(","), stop };
}
