import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dashboardBuildIsStale } from "../../scripts/lib/dashboardBuild.js";
import { ensureRedis, noRedisMessage, redisAnswers } from "../../scripts/lib/ensureRedis.js";
import { descendantsOf, exitWithin, isAlive, spawnEntry, spawnNpmScript, waitForHttp, type RunningProcess } from "#test-support/processes.js";
import { freePort, portIsFree } from "#test-support/ports.js";
import { pollUntil } from "#test-support/time.js";

let cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** `scripts/start.ts` against a Redis URL nothing answers (so it starts a private one), killed with all its children afterwards. */
async function startOnPrivateRedis() {
  const [redisPort, apiPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), "taskgate-start-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const start = spawnEntry("scripts/start.ts", { REDIS_URL: redisUrl, PORT: String(apiPort), OUTBOX_DIR: join(dir, "outbox"), LOG_LEVEL: "info" });
  cleanup.push(async () => {
    for (const pid of descendantsOf(start.pid)) process.kill(pid, "SIGKILL");
    await start.kill();
  });
  return { start, redisUrl, apiPort };
}

/** `npm run start` as a user runs it, against a Redis that is not there (so it starts a private one). */
async function startThroughNpm(options: { ownProcessGroup?: boolean } = {}) {
  const [redisPort, apiPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), "taskgate-start-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const start = spawnNpmScript("start", { REDIS_URL: redisUrl, PORT: String(apiPort), OUTBOX_DIR: join(dir, "outbox"), SHUTDOWN_TIMEOUT_MS: "10000" }, options);
  cleanup.push(async () => {
    for (const pid of descendantsOf(start.pid)) process.kill(pid, "SIGKILL");
    await start.kill();
  });
  const url = `http://127.0.0.1:${apiPort}`;
  await waitForHttp(`${url}/health/live`, start, 30_000);
  expect(start.output()).toMatch(/started a private redis-server/);
  return { url, redisUrl, start };
}

describe("npm start (the all-in-one main job)", () => {
  it("starts a private Redis when none answers, serves the API, writes mail to the dev outbox, and stops everything on Ctrl-C", async () => {
    const [redisPort, apiPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), "taskgate-start-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const start: RunningProcess = spawnEntry("scripts/start.ts", { REDIS_URL: redisUrl, PORT: String(apiPort), OUTBOX_DIR: join(dir, "outbox"), LOG_LEVEL: "info" });
    cleanup.push(() => start.kill());
    const url = `http://127.0.0.1:${apiPort}`;
    await waitForHttp(`${url}/health/live`, start, 30_000);
    expect(start.output()).toMatch(/started a private redis-server/);
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: "ok", redis: "up" });
    const dashboard = await fetch(`${url}/admin/`);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain("<title>Taskgate admin</title>");

    const res = await fetch(`${url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ to: "dev@example.com", subject: "Hello outbox", text: "Readable." }) });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const file = join(dir, "outbox", `email.${jobId}.eml`);
    await pollUntil(async () => existsSync(file), Boolean, 15_000);
    const eml = readFileSync(file, "utf8");
    expect(eml).toMatch(/^Subject: Hello outbox$/m);
    expect(eml).toMatch(/^To: dev@example.com$/m);
    expect(eml).toContain("Readable.");
    expect(readdirSync(join(dir, "outbox"))).toHaveLength(1);

    start.child.kill("SIGINT");
    expect(await start.exited).toBe(0);
    expect(await redisAnswers(redisUrl, 500)).toBe(false);
  });

  // Sequential with the test above: both start a private Redis in the repo's .data/redis.
  it("drains and stops its private Redis on SIGTERM to the npm script's own pid", async () => {
    const { url, redisUrl, start } = await startThroughNpm();
    const children = descendantsOf(start.pid);
    expect(children.length).toBeGreaterThanOrEqual(2); // node, and the private redis-server under it
    start.child.kill("SIGTERM");
    expect(await exitWithin(start, 10_000 + 3_000)).toBe(0);
    const messages = start.logs().map((line) => line.msg);
    expect(messages).toEqual(expect.arrayContaining(["shutting down", "API stopped", "stopped"]));
    expect(await portIsFree(Number(new URL(url).port))).toBe(true);
    expect(children.filter(isAlive)).toEqual([]);
    expect(await redisAnswers(redisUrl, 500)).toBe(false);
  });

  it("takes a SIGTERM while the API is still starting: lets that step finish, starts no worker, drains and exits 0", async () => {
    // A Redis Cluster that does not answer keeps startApi in its 5 s wait for Redis, so the
    // signal lands inside a startup step every time (the order itself: test/scripts/allInOne.test.ts).
    const apiPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "taskgate-start-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // Open mode (API_KEYS and NODE_ENV empty, whatever the runner's environment holds), so the
    // open-mode warning marks the start of startApi.
    const env = { REDIS_CLUSTER_NODES: `127.0.0.1:${await freePort()}`, PORT: String(apiPort), OUTBOX_DIR: join(dir, "outbox"), LOG_LEVEL: "info", SHUTDOWN_TIMEOUT_MS: "10000", API_KEYS: "", NODE_ENV: "" };
    const start = spawnEntry("scripts/start.ts", env);
    cleanup.push(() => start.kill());
    await pollUntil(async () => start.logs().some((line) => String(line.msg).startsWith("API_KEYS is not set")), Boolean, 30_000);
    expect(start.logs().some((line) => line.msg === "API listening")).toBe(false);
    start.child.kill("SIGTERM");
    expect(await exitWithin(start, 10_000 + 5_000)).toBe(0);
    const messages = start.logs().map((line) => line.msg);
    expect(messages).toEqual(expect.arrayContaining(["shutting down", "API listening", "API stopped", "stopped"]));
    expect(messages.filter((msg) => String(msg).startsWith("Taskgate is up") || msg === "worker started")).toEqual([]);
    expect(await portIsFree(apiPort)).toBe(true);
  });

  it("stops its private Redis on a SIGTERM sent while that Redis is still starting", async () => {
    const { start, redisUrl } = await startOnPrivateRedis();
    // The moment redis-server is spawned, before it answers and before "no Redis answered".
    const isRedisServer = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "redis-server";
      } catch {
        return false;
      }
    };
    const server = (await pollUntil(async () => descendantsOf(start.pid).filter(isRedisServer), (found) => found.length > 0, 30_000, 5)).at(-1)![0]!;
    start.child.kill("SIGTERM");
    expect(await exitWithin(start, 10_000 + 3_000)).toBe(0);
    expect(start.logs().map((line) => line.msg)).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
    expect(isAlive(server)).toBe(false);
    expect(await redisAnswers(redisUrl, 500)).toBe(false);
  });

  it("stops its private Redis and every child on a SIGTERM sent the moment that Redis is up, whether startup had finished or not", async () => {
    const { start, redisUrl, apiPort } = await startOnPrivateRedis();
    await pollUntil(async () => start.logs().some((line) => String(line.msg).startsWith("no Redis answered")), Boolean, 30_000);
    const children = descendantsOf(start.pid);
    start.child.kill("SIGTERM");
    expect(await exitWithin(start, 10_000 + 3_000)).toBe(0);
    expect(start.logs().map((line) => line.msg)).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
    expect(await portIsFree(apiPort)).toBe(true);
    // A helper process of the TypeScript runner (tsx's esbuild) ends a moment after its parent.
    await pollUntil(async () => children.filter(isAlive), (alive) => alive.length === 0, 2_000);
    expect(await redisAnswers(redisUrl, 500)).toBe(false);
  });

  it("takes a terminal's Ctrl-C (SIGINT to npm and node at once) as one signal: drains and exits 0", async () => {
    const { redisUrl, start } = await startThroughNpm({ ownProcessGroup: true });
    const children = descendantsOf(start.pid);
    process.kill(-start.pid, "SIGINT");
    expect(await exitWithin(start, 10_000 + 3_000)).toBe(0);
    expect(start.logs().filter((line) => line.msg === "second signal: exiting at once")).toEqual([]);
    expect(start.logs().map((line) => line.msg)).toContain("stopped");
    expect(children.filter(isAlive)).toEqual([]);
    expect(await redisAnswers(redisUrl, 500)).toBe(false);
  });

  it("rebuilds the dashboard only when its build is missing or older than a source file", () => {
    const root = mkdtempSync(join(tmpdir(), "taskgate-dashboard-"));
    cleanup.push(() => rmSync(root, { recursive: true, force: true }));
    const age = (path: string, secondsAgo: number) => utimesSync(join(root, path), Date.now() / 1000 - secondsAgo, Date.now() / 1000 - secondsAgo);
    const write = (path: string, secondsAgo: number) => {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), "x");
      age(path, secondsAgo);
      // Folders count too (a deleted source changes its folder), so age the ones just touched.
      for (let dir = join(path, ".."); dir !== "."; dir = join(dir, "..")) age(dir, 200);
    };
    write("dashboard/src/panels/queues.ts", 100);
    write("client-sdk/src/client.ts", 100);
    expect(dashboardBuildIsStale(root)).toBe(true); // never built
    write("dashboard/dist/index.html", 50);
    expect(dashboardBuildIsStale(root)).toBe(false);
    write("client-sdk/src/client.ts", 10); // the SDK it bundles changed
    expect(dashboardBuildIsStale(root)).toBe(true);
    write("dashboard/dist/index.html", 5);
    write("dashboard/src/panels/queues.ts", 1); // a page source changed, deep in a folder
    expect(dashboardBuildIsStale(root)).toBe(true);
  });

  it("explains both fixes when no Redis answers and redis-server is not installed", async () => {
    const port = await freePort();
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await expect(ensureRedis(`redis://127.0.0.1:${port}`)).rejects.toThrow(noRedisMessage(`redis://127.0.0.1:${port}`));
    } finally {
      process.env.PATH = path;
    }
    expect(noRedisMessage("redis://x")).toMatch(/apt-get install redis-server/);
    expect(noRedisMessage("redis://x")).toMatch(/docker compose up -d redis/);
  });

  it("exits at once with one line naming the variable when the config is bad", async () => {
    const start = spawnEntry("scripts/start.ts", { PORT: "not-a-port" });
    cleanup.push(() => start.kill());
    expect(await start.exited).toBe(1);
    expect(start.output().trim()).toBe('Invalid PORT = "not-a-port": must be a number');
  });
});
