/**
 * A worker process takes signals from its start: stopped while Redis does not answer yet (it
 * waits for Redis and holds no job), it logs the stop and exits by itself within
 * SHUTDOWN_TIMEOUT_MS, instead of dying to the signal undrained (or, as PID 1 in a container,
 * ignoring it).
 */
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "#test-support/ports.js";
import { exitWithin, spawnEntry, type RunningProcess } from "#test-support/processes.js";
import { randomPrefix } from "#test-support/redis.js";
import { pollUntil, sleep } from "#test-support/time.js";

const SHUTDOWN_TIMEOUT_MS = 1000;
let proc: RunningProcess | undefined;
afterEach(async () => {
  await proc?.kill();
  proc = undefined;
});

describe("a worker process stopped during startup", () => {
  it("takes SIGTERM while Redis does not answer, logs the stop and exits 1 (not clean: it never started)", async () => {
    // A port nothing listens on: the worker keeps waiting for its Redis.
    const port = await freePort();
    proc = spawnEntry("worker/src/main.ts", { REDIS_URL: `redis://127.0.0.1:${port}`, KEY_PREFIX: randomPrefix(), SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), WORKER_METRICS_PORT: "" });
    // Inside startWorker, waiting for Redis (it logs this once it takes signals).
    const starting = proc;
    await pollUntil(async () => starting.logs().some((line) => line.msg === "worker starting") || starting.child.exitCode !== null, Boolean, 30_000);
    await sleep(500);
    expect(proc.child.exitCode, proc.output()).toBeNull();
    proc.child.kill("SIGTERM");
    expect(await exitWithin(proc, SHUTDOWN_TIMEOUT_MS + 5000)).toBe(1);
    const messages = proc.logs().map((line) => line.msg);
    expect(messages).toContain("shutting down");
    expect(messages).toContain("stopped while still waiting for Redis: no job was taken");
  });
});
