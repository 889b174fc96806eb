/**
 * SIGTERM to the pid of `npm run start:api` / `npm run start:worker` (what a process manager
 * that runs the script signals) drains the role like a signal to node itself: the scripts exec
 * node, so npm forwards the signal to it instead of to a shell that would drop it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDist } from "#test-support/buildDist.js";
import { descendantsOf, exitWithin, isAlive, spawnNpmScript, waitForHttp, type RunningProcess } from "#test-support/processes.js";
import { dropPrefixes, randomPrefix, TEST_REDIS_URL } from "#test-support/redis.js";
import { freePort, portIsFree } from "#test-support/ports.js";
import { pollUntil } from "#test-support/time.js";

/** The drain's deadline for these processes, in ms. */
const SHUTDOWN_TIMEOUT_MS = 5_000;
/** What exiting may take beyond the drain: npm's own exit, in ms. */
const EXIT_MARGIN_MS = 3_000;

const prefix = randomPrefix();
const running: RunningProcess[] = [];
/** Every pid seen under an npm script, killed at the end should a failed test leave one behind. */
const spawned: number[] = [];
beforeAll(() => buildDist(), 180_000);
afterAll(async () => {
  for (const proc of running) await proc.kill();
  for (const pid of spawned.filter(isAlive)) process.kill(pid, "SIGKILL");
  await dropPrefixes(prefix);
});

/** Starts `npm run <script>`; resolves once `ready` holds, with the pids under npm at that point. */
async function startScript(script: string, env: Record<string, string>, ready: (proc: RunningProcess) => Promise<void>) {
  const proc = spawnNpmScript(script, { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix, SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), ...env });
  running.push(proc);
  await ready(proc);
  const children = descendantsOf(proc.pid);
  spawned.push(...children);
  expect(children.length, "npm runs the role in a child process").toBeGreaterThan(0);
  return { proc, children };
}

/** Signals npm's own pid and checks the drain, the exit code and that nothing of it is left. */
async function expectDrainOnSigterm(proc: RunningProcess, children: number[], port: number) {
  proc.child.kill("SIGTERM");
  expect(await exitWithin(proc, SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS)).toBe(0);
  const messages = proc.logs().map((line) => line.msg);
  expect(messages).toContain("shutting down");
  expect(messages).toContain("stopped");
  expect(proc.logs().find((line) => line.msg === "shutting down")?.signal).toBe("SIGTERM");
  expect(await portIsFree(port)).toBe(true);
  expect(children.filter(isAlive)).toEqual([]);
}

describe("production npm scripts on SIGTERM to npm's pid", () => {
  it("npm run start:api drains, frees its port, exits 0 and leaves no process", async () => {
    const port = await freePort();
    const { proc, children } = await startScript("start:api", { PORT: String(port) }, (p) => waitForHttp(`http://127.0.0.1:${port}/health/live`, p, 30_000));
    await expectDrainOnSigterm(proc, children, port);
    expect(proc.logs().some((line) => line.msg === "API stopped" && line.clean === true)).toBe(true);
  });

  it("npm run start:worker stops taking jobs, exits 0 and leaves no process", async () => {
    const port = await freePort();
    const { proc, children } = await startScript("start:worker", { WORKER_METRICS_PORT: String(port) }, async (p) => {
      await pollUntil(async () => p.logs().some((line) => line.msg === "worker started") || p.child.exitCode !== null, Boolean, 30_000);
      expect(p.child.exitCode, p.output()).toBeNull();
    });
    await expectDrainOnSigterm(proc, children, port);
  });
});
