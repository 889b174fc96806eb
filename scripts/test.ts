/**
 * `npm test`: makes sure a Redis answers (starting a private one like `npm start` does) and runs
 * the whole vitest suite against it; then starts a private 3-master Redis Cluster and runs the
 * integration tests of jobs, rate limiting, idempotency, the guard and dead jobs again, against
 * the cluster (`TEST_REDIS_CLUSTER_NODES`: test/support/redis.ts switches every helper to it).
 * Exits non-zero when either pass fails; the last line sums both.
 *
 * The browser tests (test/browser/) need Chromium at /usr/bin/chromium (or CHROMIUM_PATH). Where
 * it is missing they are left out with a notice, so `npm test` passes on a machine with only
 * Node and Redis; under CI (CI set) a missing Chromium is an error instead (.ci/run installs it).
 *
 *   npm test                           both passes
 *   npm test -- <file filters>         both passes: the single one filtered, the cluster one over
 *                                      the files of its list that match
 *   npm test -- --single-only [...]    the single-Redis pass only
 *   npm test -- --cluster-only [...]   the cluster pass only (file filters, if any, replace its list)
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { startPrivateCluster, type PrivateCluster } from "./lib/cluster.js";
import { ensureRedis, type EnsuredRedis } from "./lib/ensureRedis.js";
import { CHROMIUM_PATH, chromiumAvailable } from "../test/support/browser.js";

/** What the cluster pass runs: files, or folders whose test files all run. */
const CLUSTER_SUITE = [
  "test/e2e/emailDelivery.test.ts",
  "test/e2e/emailFailures.test.ts",
  "test/e2e/deadJobs.test.ts",
  "test/e2e/idempotency.test.ts",
  "test/e2e/rateLimitHttp.test.ts",
  "test/e2e/observability.test.ts",
  "test/e2e/health.test.ts",
  "test/faults/rateLimitProcesses.test.ts",
  "test/faults/policyProcesses.test.ts",
  "test/e2e/policy.test.ts",
  "test/e2e/jobControl.test.ts",
  "test/e2e/deadJobFilters.test.ts",
  "server/test/rateLimit/",
  "server/test/idempotency/",
  "server/test/deadJobs/",
  "server/test/observability/",
  "server/test/redis/",
  "server/test/audit/",
  "shared/test/runtime/",
  "worker/test/guard/",
  "worker/test/jobOutcomeCounts.test.ts",
];

/** Test roots of vitest.config.ts. */
const TEST_ROOTS = ["dashboard/test", "shared/test", "server/test", "worker/test", "client-sdk/test", "test"];

/** vitest options that take the next argument as their value. */
const OPTIONS_WITH_VALUE = new Set(["-t", "--testNamePattern", "--project", "--shard", "--bail", "--retry", "--maxWorkers", "--pool", "-c", "--config", "--dir", "-r", "--root", "--reporter", "--outputFile"]);

const argv = process.argv.slice(2);
const singleOnly = argv.includes("--single-only");
const clusterOnly = argv.includes("--cluster-only");
const passArgs = argv.filter((arg) => arg !== "--single-only" && arg !== "--cluster-only");
const filters = passArgs.filter((arg, i) => !arg.startsWith("-") && !OPTIONS_WITH_VALUE.has(passArgs[i - 1] ?? ""));
const options = passArgs.filter((arg) => !filters.includes(arg));

function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : testFiles(path);
    return entry.name.endsWith(".test.ts") ? [relative(".", path)] : [];
  });
}

/** The cluster pass's files: its list, narrowed by the file filters (vitest matches them as substrings). */
function clusterFiles(): string[] {
  if (clusterOnly && filters.length > 0) return filters;
  const suite = [...new Set(TEST_ROOTS.flatMap(testFiles))].filter((file) => CLUSTER_SUITE.some((entry) => file === entry || (entry.endsWith("/") && file.startsWith(entry))));
  return filters.length === 0 ? suite : suite.filter((file) => filters.some((filter) => file.includes(filter)));
}

interface PassResult {
  name: string;
  code: number;
  passed: number;
  failed: number;
  seconds: number;
}

let child: ChildProcess | undefined;
// Promises, so that a signal during start-up still stops what is being started.
let redis: Promise<EnsuredRedis> | undefined;
let cluster: Promise<PrivateCluster> | undefined;

async function cleanUp(): Promise<void> {
  const [startedCluster, startedRedis] = [cluster, redis];
  cluster = redis = undefined;
  await (await startedCluster?.catch(() => undefined))?.stop();
  await (await startedRedis?.catch(() => undefined))?.stop();
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    void cleanUp().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

/** Runs vitest once with `env` over `args`; reads its JSON report for the counts. */
async function runPass(name: string, args: string[], env: NodeJS.ProcessEnv, results: string): Promise<PassResult> {
  rmSync(results, { force: true });
  const started = Date.now();
  const vitest = ["node_modules/vitest/vitest.mjs", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`, ...args];
  child = spawn(process.execPath, vitest, { stdio: "inherit", env });
  const running = child;
  const code = await new Promise<number>((resolve) => running.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  child = undefined;
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(results)) return { name, code: code || 1, passed: 0, failed: 0, seconds };
  const summary = JSON.parse(readFileSync(results, "utf8")) as { numPassedTests: number; numFailedTests: number };
  return { name, code, passed: summary.numPassedTests, failed: summary.numFailedTests, seconds };
}

// Neither pass may inherit a cluster from the shell: each sets exactly what it runs against.
const baseEnv: NodeJS.ProcessEnv = { ...process.env };
delete baseEnv.TEST_REDIS_CLUSTER_NODES;
delete baseEnv.REDIS_CLUSTER_NODES;

// Without Chromium the browser tests cannot run: leave them out and say so, except under CI.
let browserNotice: string | undefined;
const singlePassArgs = [...passArgs];
if (!clusterOnly && !chromiumAvailable()) {
  browserNotice = `Browser tests (test/browser/) not run: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH).`;
  if (process.env.CI) {
    console.error(`${browserNotice} Under CI they must run.`);
    process.exit(1);
  }
  console.log(browserNotice);
  singlePassArgs.push("--exclude", "test/browser/**");
}

const passes: PassResult[] = [];
try {
  if (!clusterOnly) {
    const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    redis = ensureRedis(url, ".data/test-redis");
    let ensured: EnsuredRedis;
    try {
      ensured = await redis;
    } catch (error) {
      console.error((error as Error).message);
      process.exit(1);
    }
    if (ensured.started) console.log(`No Redis answered at ${url}: started a private redis-server for the tests.`);
    passes.push(await runPass("single Redis", singlePassArgs, { ...baseEnv, REDIS_URL: url }, ".data/test-results.json"));
    redis = undefined;
    await ensured.stop();
  }

  const files = singleOnly || interrupted ? [] : clusterFiles();
  // The cluster pass needs redis-server and redis-cli on this machine (a Redis reached over the
  // network, e.g. in Docker, is enough for the single pass): say so rather than fail.
  const toolsMissing = ["redis-server", "redis-cli"].filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (files.length > 0 && toolsMissing.length > 0) {
    console.log(`\nCluster pass not run: ${toolsMissing.join(" and ")} not installed (apt-get install redis-server, or brew install redis).`);
  } else if (files.length > 0) {
    cluster = startPrivateCluster();
    const nodes = await cluster.then(
      (started) => started.nodes,
      (error: unknown) => {
        console.error(`Could not start the private Redis Cluster for the cluster pass: ${(error as Error).message}`);
        passes.push({ name: "Redis Cluster", code: 1, passed: 0, failed: 0, seconds: 0 });
        return undefined;
      },
    );
    if (nodes) {
      console.log(`\nCluster pass: ${files.length} test files against a private 3-master Redis Cluster at ${nodes}`);
      // REDIS_URL points at nothing, so a test that still reached for the single Redis would fail loudly.
      const env = { ...baseEnv, TEST_REDIS_CLUSTER_NODES: nodes, REDIS_URL: "redis://127.0.0.1:1" };
      passes.push(await runPass("Redis Cluster", [...options, ...files], env, ".data/test-results-cluster.json"));
    }
  }
} finally {
  await cleanUp();
}

// After a signal the handler exits once everything is stopped; otherwise plain closing lines that
// any CI log reader understands, the last one summing both passes.
if (!interrupted) {
  if (browserNotice) console.log(browserNotice);
  for (const pass of passes) console.log(`${pass.name}: ${pass.passed} passed, ${pass.failed} failed (${pass.seconds} s)`);
  const sum = (key: "passed" | "failed") => passes.reduce((total, pass) => total + pass[key], 0);
  console.log(`${sum("passed")} passed, ${sum("failed")} failed`);
  process.exit(passes.some((pass) => pass.code !== 0) || passes.length === 0 ? 1 : 0);
}
