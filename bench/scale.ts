/**
 * Scale-out benchmark (issue 10's "scale-out figure"): the gateway's req/s with 1 and 2 API
 * processes, and the worker's jobs/s with 1 and 2 worker processes, each on the single Redis
 * (`REDIS_URL`, under the run's key prefix) and on a private 3-master Redis Cluster started for
 * this benchmark and stopped by pid at the end (also on error).
 *
 * Every API and worker is a real process (`node --import tsx --conditions=source …/main.ts`).
 * HTTP load: two autocannon processes in parallel, 25 connections each; with 1 API both aim at
 * it, with 2 APIs each aims at one, so the load generator's own cost is the same in both rows.
 * Workers send mail to the dev outbox (SMTP_URL unset) in a temp OUTBOX_DIR.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Queue } from "bullmq";
import { Cluster, Redis } from "ioredis";
import { bullPrefix, type EmailJobData } from "@taskgate/shared";
import { defaultJobOptions } from "@taskgate/server";
import { startPrivateCluster, type PrivateCluster } from "../scripts/lib/cluster.js";
import { sleep } from "../scripts/lib/sleep.js";
import { spawnApi, spawnEntry, type RunningProcess } from "../test/support/processes.js";
import type { BenchContext } from "./lib/context.js";
import { benchConfig, benchEmail, benchJobData } from "./lib/email.js";
import { startLoadGenerator, type LoadGenerator, type LoadResult } from "./lib/load.js";
import { REDIS_URL, redisCpuUs } from "./lib/redis.js";
import { fmtFixed, fmtInt, fmtRatio, median, printTable } from "./lib/table.js";
import { printVerdict, type Verdict } from "./lib/verdict.js";

/** Connections per autocannon process; two processes run in parallel. */
const CONNECTIONS_EACH = 25;
const WARMUP_S = 1;
const ROUNDS = 3;
const ROUND_S = 2;
/** Worker drains: jobs per measured run, jobs in the warm-up run, concurrency per worker process. */
const JOBS = 2_000;
const WARMUP_JOBS = 1_000;
const WORKER_CONCURRENCY = 50;
const DRAIN_TIMEOUT_MS = 30_000;
const RULES = JSON.stringify([{ name: "bench", key: "global", limit: 100_000_000, windowMs: 60_000 }]);

type Kind = "single" | "cluster";

/** One Redis deployment: the env that points a process at it, and how to read its CPU. */
interface Target {
  kind: Kind;
  env: Record<string, string>;
  /** Sum of INFO cpu (user + sys) over its servers, in µs. */
  cpuUs(): Promise<number>;
  /** A client for BullMQ queues (pre-fill, counts). */
  client(): Redis | Cluster;
}

interface Measure {
  value: number;
  redisCpuPct: number;
  load1: number;
  bad: number;
}

interface Row {
  what: "gateway" | "worker";
  kind: Kind;
  processes: 1 | 2;
  runs: Measure[];
}

function singleTarget(admin: Redis): Target {
  return { kind: "single", env: { REDIS_URL }, cpuUs: () => redisCpuUs(admin), client: () => new Redis(REDIS_URL, { maxRetriesPerRequest: null }) };
}

function clusterTarget(cluster: PrivateCluster, admins: Redis[]): Target {
  const nodes = cluster.nodes.split(",").map((node) => ({ host: node.split(":")[0]!, port: Number(node.split(":")[1]) }));
  return {
    kind: "cluster",
    env: { REDIS_URL, REDIS_CLUSTER_NODES: cluster.nodes },
    cpuUs: async () => (await Promise.all(admins.map((admin) => redisCpuUs(admin)))).reduce((a, b) => a + b, 0),
    client: () => new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: null } }),
  };
}

/** Runs `fn` and reports Redis CPU (as % of one core) and the 1-min load average after it. */
async function measured<T>(target: Target, fn: () => Promise<{ value: number; bad: number; seconds: number; extra?: T }>): Promise<Measure> {
  const before = await target.cpuUs();
  const result = await fn();
  const used = (await target.cpuUs()) - before;
  return { value: result.value, bad: result.bad, redisCpuPct: (used / 1e6 / result.seconds) * 100, load1: os.loadavg()[0]! };
}

/** Two autocannon processes in parallel, one per URL (the same URL twice for 1 API). */
async function loadPair(generators: [LoadGenerator, LoadGenerator], urls: [string, string], durationS: number): Promise<{ value: number; bad: number; seconds: number }> {
  const results: LoadResult[] = await Promise.all(
    generators.map((generator, i) => generator.run({ url: urls[i]!, method: "POST", body: benchEmail, connections: CONNECTIONS_EACH, durationS })),
  );
  return { value: results.reduce((total, r) => total + r.rps, 0), bad: results.reduce((total, r) => total + r.non2xx + r.errors, 0), seconds: durationS };
}

async function gateway(ctx: BenchContext, targets: Target[], procs: RunningProcess[]): Promise<Row[]> {
  const rows: Row[] = [];
  const setups: { row: Row; target: Target; urls: [string, string] }[] = [];
  for (const target of targets) {
    const env = { ...target.env, KEY_PREFIX: `${ctx.prefix}-sg-${target.kind}`, RATE_LIMIT_RULES: RULES, LOG_LEVEL: "silent", NODE_ENV: "development", HOST: "127.0.0.1", SHUTDOWN_TIMEOUT_MS: "5000" };
    const [a, b] = await Promise.all([spawnApi(env), spawnApi(env)]);
    procs.push(a, b);
    for (const url of [a.url, b.url]) {
      const response = await fetch(`${url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(benchEmail) });
      if (response.status !== 202) throw new Error(`POST ${url}/jobs/email answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    }
    const one: Row = { what: "gateway", kind: target.kind, processes: 1, runs: [] };
    const two: Row = { what: "gateway", kind: target.kind, processes: 2, runs: [] };
    rows.push(one, two);
    setups.push({ row: one, target, urls: [`${a.url}/jobs/email`, `${a.url}/jobs/email`] }, { row: two, target, urls: [`${a.url}/jobs/email`, `${b.url}/jobs/email`] });
  }
  const generators: [LoadGenerator, LoadGenerator] = [startLoadGenerator(), startLoadGenerator()];
  try {
    for (const setup of setups) await loadPair(generators, setup.urls, WARMUP_S);
    for (let round = 0; round < ROUNDS; round++) {
      for (const setup of setups) setup.row.runs.push(await measured(setup.target, () => loadPair(generators, setup.urls, ROUND_S)));
      console.log(`  gateway round ${round + 1}: ${setups.map((s) => `${s.target.kind}×${s.row.processes} ${fmtInt(s.row.runs[round]!.value)}`).join(" / ")} req/s`);
    }
  } finally {
    for (const generator of generators) generator.close();
  }
  return rows;
}

/** Waits until `count` workers are registered on the queue (CLIENT LIST, cluster-aware in BullMQ). */
async function waitForWorkers(queue: Queue, count: number, procs: RunningProcess[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await queue.getWorkersCount()) < count) {
    const dead = procs.find((proc) => proc.child.exitCode !== null);
    if (dead) throw new Error(`a worker exited early:\n${dead.output()}`);
    if (Date.now() > deadline) throw new Error(`workers did not register within 30 s:\n${procs.map((p) => p.output()).join("\n")}`);
    await sleep(100);
  }
}

/** Pre-fills `jobs` into the paused queue, resumes it, and times resume → all completed (polled every 10 ms). */
let drains = 0;
async function drain(queue: Queue<EmailJobData>, jobs: number): Promise<{ value: number; bad: number; seconds: number }> {
  await queue.pause();
  await queue.obliterate({ force: true });
  // Fresh job ids and request ids per drain: the effect guard would otherwise skip repeats as already sent.
  const run = drains++;
  // Completed jobs are kept for this run (the default trims them by count), so the count is exact.
  for (let start = 0; start < jobs; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, jobs - start) }, (_, i) => ({ name: "send", data: { ...benchJobData(start + i), requestId: `scale-${run}-${start + i}` }, opts: { jobId: `scale-${run}-${start + i}`, removeOnComplete: false, removeOnFail: false } }));
    await queue.addBulk(batch);
  }
  const started = performance.now();
  await queue.resume();
  for (;;) {
    const counts = await queue.getJobCounts("completed", "failed");
    const done = (counts.completed ?? 0) + (counts.failed ?? 0);
    if (done >= jobs) {
      const seconds = (performance.now() - started) / 1000;
      return { value: jobs / seconds, bad: counts.failed ?? 0, seconds };
    }
    if (performance.now() - started > DRAIN_TIMEOUT_MS) throw new Error(`drain finished ${done} of ${jobs} jobs in ${DRAIN_TIMEOUT_MS} ms`);
    await sleep(10);
  }
}

async function worker(ctx: BenchContext, targets: Target[], procs: RunningProcess[], outbox: string): Promise<Row[]> {
  const rows: Row[] = [];
  const setups: { row: Row; target: Target; queue: Queue<EmailJobData> }[] = [];
  const clients: (Redis | Cluster)[] = [];
  try {
    for (const target of targets) {
      for (const processes of [1, 2] as const) {
        const keyPrefix = `${ctx.prefix}-sw-${target.kind}-${processes}`;
        const env = {
          ...target.env,
          KEY_PREFIX: keyPrefix,
          OUTBOX_DIR: join(outbox, keyPrefix),
          WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
          LOG_LEVEL: "warn",
          NODE_ENV: "development",
          SHUTDOWN_TIMEOUT_MS: "5000",
        };
        const client = target.client();
        clients.push(client);
        const queue = new Queue<EmailJobData>("email", { connection: client, prefix: bullPrefix(keyPrefix), defaultJobOptions: defaultJobOptions(benchConfig(keyPrefix)) });
        await queue.waitUntilReady();
        await queue.pause();
        const started = Array.from({ length: processes }, () => spawnEntry("worker/src/main.ts", env));
        procs.push(...started);
        await waitForWorkers(queue, processes, started);
        const row: Row = { what: "worker", kind: target.kind, processes, runs: [] };
        rows.push(row);
        setups.push({ row, target, queue });
      }
    }
    for (const setup of setups) await drain(setup.queue, WARMUP_JOBS);
    for (let round = 0; round < ROUNDS; round++) {
      for (const setup of setups) setup.row.runs.push(await measured(setup.target, () => drain(setup.queue, JOBS)));
      console.log(`  worker round ${round + 1}: ${setups.map((s) => `${s.target.kind}×${s.row.processes} ${fmtInt(s.row.runs[round]!.value)}`).join(" / ")} jobs/s`);
    }
  } finally {
    for (const setup of setups) {
      await setup.queue.obliterate({ force: true }).catch(() => undefined);
      await setup.queue.close().catch(() => undefined);
    }
    for (const client of clients) client.disconnect();
  }
  return rows;
}

export async function run(ctx: BenchContext): Promise<Verdict[]> {
  console.log(
    `\n== scale: 1 vs 2 API processes (POST /jobs/email, 2 autocannon processes × ${CONNECTIONS_EACH} connections, ${WARMUP_S} s warm-up, ${ROUNDS} rounds × ${ROUND_S} s) ` +
      `and 1 vs 2 worker processes (concurrency ${WORKER_CONCURRENCY} each, ${fmtInt(JOBS)} jobs per drain, dev outbox), single Redis and a private 3-master cluster`,
  );
  const procs: RunningProcess[] = [];
  const outbox = mkdtempSync(join(os.tmpdir(), "taskgate-bench-outbox-"));
  let cluster: PrivateCluster | undefined;
  const clusterAdmins: Redis[] = [];
  // run.ts exits the process on its deadline or a signal: take the children along (kills are synchronous).
  const killAll = () => {
    for (const proc of procs) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
    void cluster?.stop();
  };
  process.once("exit", killAll);
  try {
    cluster = await startPrivateCluster();
    for (const node of cluster.nodes.split(",")) clusterAdmins.push(new Redis(`redis://${node}`, { maxRetriesPerRequest: 1 }));
    const targets = [singleTarget(ctx.admin), clusterTarget(cluster, clusterAdmins)];
    const rows = [...(await gateway(ctx, targets, procs)), ...(await worker(ctx, targets, procs, outbox))];
    return report(rows);
  } finally {
    process.off("exit", killAll);
    await Promise.all(procs.map((proc) => proc.kill()));
    for (const admin of clusterAdmins) admin.disconnect();
    await cluster?.stop();
    rmSync(outbox, { recursive: true, force: true });
  }
}

function report(rows: Row[]): Verdict[] {
  const value = (row: Row) => median(row.runs.map((r) => r.value));
  const base = (row: Row) => rows.find((r) => r.what === row.what && r.kind === row.kind && r.processes === 1)!;
  printTable(
    `scale — median of ${ROUNDS} rounds; × 1 process = against the same Redis kind with 1 process; Redis CPU = % of one core (cluster: sum of 3 masters); load = os.loadavg()[0] after the run`,
    [
      { header: "setup", align: "left" },
      { header: "Redis", align: "left" },
      { header: "processes" },
      { header: "rate" },
      { header: "min–max" },
      { header: "× 1 process" },
      { header: "Redis CPU %" },
      { header: "load 1m" },
      { header: "non-2xx/failed" },
    ],
    rows.map((row) => {
      const all = row.runs.map((r) => r.value);
      return [
        row.what === "gateway" ? "gateway POST /jobs/email" : "worker email drain",
        row.kind,
        String(row.processes),
        `${fmtInt(value(row))} ${row.what === "gateway" ? "req/s" : "jobs/s"}`,
        `${fmtInt(Math.min(...all))}–${fmtInt(Math.max(...all))}`,
        fmtRatio(value(row) / value(base(row))),
        fmtInt(median(row.runs.map((r) => r.redisCpuPct))),
        fmtFixed(median(row.runs.map((r) => r.load1)), 2),
        fmtInt(row.runs.reduce((total, r) => total + r.bad, 0)),
      ];
    }),
  );
  const cores = os.cpus().length;
  const maxRedis = Math.max(...rows.map((row) => median(row.runs.map((r) => r.redisCpuPct))));
  const maxLoad = Math.max(...rows.flatMap((row) => row.runs.map((r) => r.load1)));
  console.log(
    `saturation: ${cores} cores; 1-min load average up to ${fmtFixed(maxLoad, 2)} (≥ ${cores} means every core is busy) while Redis used at most ${fmtInt(maxRedis)} % of one core: ` +
      (maxLoad >= cores * 0.9
        ? "the machine's CPU saturates first — the load generator, the Node processes and Redis share the cores, so a second process mostly takes CPU from the others"
        : "the cores were not all busy; see the Redis CPU column (a single Redis near 100 % is Redis-bound)"),
  );
  const verdicts: Verdict[] = rows
    .filter((row) => row.processes === 2)
    .map((row) => ({
      benchmark: "scale",
      aim: `${row.what} on ${row.kind} Redis: 2 processes vs 1 (${cores}-core machine)`,
      ratio: value(row) / value(base(row)),
      note: `${fmtInt(value(base(row)))} → ${fmtInt(value(row))} ${row.what === "gateway" ? "req/s" : "jobs/s"}`,
    }));
  console.log("");
  for (const verdict of verdicts) printVerdict(verdict);
  return verdicts;
}
