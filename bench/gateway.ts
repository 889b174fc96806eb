/**
 * Gateway benchmark: `POST /jobs/email` under HTTP load, Taskgate (started in-process with
 * `startApi`, open mode) against a bare Express 5 + zod + `queue.add` baseline started in the
 * same run on the same Redis, plus the same mutation over tRPC.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Queue } from "bullmq";
import { bullPrefix, emailJobInput, type EmailJobData } from "@taskgate/shared";
import { createLogger } from "@taskgate/shared/runtime";
import { defaultJobOptions, startApi, type RunningApi } from "@taskgate/server";
import type { BenchContext } from "./lib/context.js";
import { benchConfig, benchEmail } from "./lib/email.js";
import { startLoadGenerator, type LoadResult } from "./lib/load.js";
import { connect, redisCpuUs } from "./lib/redis.js";
import { fmtFixed, fmtInt, fmtRatio, median, printTable } from "./lib/table.js";
import { printVerdict, type Verdict } from "./lib/verdict.js";

const CONNECTIONS = 50;
const WARMUP_S = 1;
/** Every setup runs once per round, rounds one after another: slow spells of a shared machine hit all setups alike. */
const ROUNDS = 3;
const ROUND_S = 2;

const rule = (name: string, key: string, extra: object = {}) => ({ name, key, limit: 100_000_000, windowMs: 60_000, ...extra });
/** Rule sets that all match `POST /jobs/email` in open mode and are never exhausted during a run. */
const RULE_SETS = {
  one: [rule("bench", "global")],
  three: [rule("bench-ip", "ip"), rule("bench-global", "global"), rule("bench-route", "ip", { routes: ["POST /jobs/email"] })],
  none: [],
} as const;

/** One setup under load: where to send what, and what it measured in each round. */
interface Setup {
  name: string;
  url: string;
  body: unknown;
  expected: number;
  rounds: Round[];
}

/** One round's load figures plus the CPU spent per request by this process (the servers) and by Redis. */
interface Round extends LoadResult {
  nodeUsPerReq: number;
  redisUsPerReq: number;
}

interface Baseline {
  url: string;
  queue: Queue;
  close(): Promise<void>;
}

/** The baseline: what any Express 5 service accepting this job would at least do. */
async function startBaseline(keyPrefix: string): Promise<Baseline> {
  const config = benchConfig(keyPrefix);
  const connection = connect("gateway-baseline");
  const queue = new Queue("email", { connection, prefix: bullPrefix(keyPrefix), defaultJobOptions: defaultJobOptions(config) });
  await queue.waitUntilReady();
  const app = express();
  app.disable("x-powered-by");
  app.post("/jobs/email", express.json({ limit: 100_000 }), async (req, res) => {
    const parsed = emailJobInput.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ issues: parsed.error.issues });
      return;
    }
    const jobId = randomUUID();
    const data: EmailJobData = { email: parsed.data, requestId: randomUUID(), ownerId: null };
    try {
      await queue.add("send", data, { jobId });
      const statusUrl = `/jobs/status/email/${jobId}`;
      res.status(202).location(statusUrl).json({ jobId, queue: "email", state: "waiting", statusUrl });
    } catch {
      res.status(503).json({ error: "queue unavailable" });
    }
  });
  const server: Server = createServer(app);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queue,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.close();
      await connection.quit();
    },
  };
}

/** One request first, so a broken endpoint fails with its answer instead of as a table of errors. */
async function probe(url: string, body: unknown, expected: number): Promise<void> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`POST ${url} answered ${response.status} (expected ${expected}): ${text.slice(0, 300)}`);
}

/** Starts Taskgate with a rule set (open mode, silent logs, its own key prefix). */
async function startTaskgate(keyPrefix: string, rules: readonly object[], env: Record<string, string> = {}): Promise<RunningApi> {
  const config = benchConfig(keyPrefix, { RATE_LIMIT_RULES: JSON.stringify(rules), SHUTDOWN_TIMEOUT_MS: "5000", ...env });
  return startApi(config, { logger: createLogger(config, "api") });
}

/** Median of one figure over a setup's rounds. */
const med = (setup: Setup, figure: (load: Round) => number) => median(setup.rounds.map(figure));
const sum = (setup: Setup, figure: (load: Round) => number) => setup.rounds.reduce((total, load) => total + figure(load), 0);

export async function run(ctx: BenchContext): Promise<Verdict[]> {
  console.log(
    `\n== gateway: POST /jobs/email, ${CONNECTIONS} connections, autocannon in its own process; ` +
      `${WARMUP_S} s warm-up per setup, then ${ROUNDS} rounds of ${ROUND_S} s per setup, setups interleaved`,
  );
  const load = startLoadGenerator();
  const baseline = await startBaseline(`${ctx.prefix}-gwb`);
  const apis: RunningApi[] = [];
  try {
    const one = await startTaskgate(`${ctx.prefix}-gw1`, RULE_SETS.one);
    apis.push(one);
    const three = await startTaskgate(`${ctx.prefix}-gw3`, RULE_SETS.three);
    apis.push(three);
    const none = await startTaskgate(`${ctx.prefix}-gw0`, RULE_SETS.none);
    apis.push(none);
    const bare = await startTaskgate(`${ctx.prefix}-gwm`, RULE_SETS.one, { METRICS_ENABLED: "false" });
    apis.push(bare);
    const setups: Setup[] = [
      { name: "baseline: Express 5 + zod + queue.add", url: `${baseline.url}/jobs/email`, body: benchEmail, expected: 202, rounds: [] },
      { name: "Taskgate REST, 1 rule", url: `${one.url}/jobs/email`, body: benchEmail, expected: 202, rounds: [] },
      { name: "Taskgate tRPC, 1 rule", url: `${one.url}/trpc/jobs.email.create`, body: { json: benchEmail }, expected: 200, rounds: [] },
      { name: "Taskgate REST, 3 rules", url: `${three.url}/jobs/email`, body: benchEmail, expected: 202, rounds: [] },
      { name: "Taskgate REST, 0 rules (no limiter call)", url: `${none.url}/jobs/email`, body: benchEmail, expected: 202, rounds: [] },
      { name: "Taskgate REST, 1 rule, METRICS_ENABLED=false", url: `${bare.url}/jobs/email`, body: benchEmail, expected: 202, rounds: [] },
    ];
    for (const setup of setups) {
      await probe(setup.url, setup.body, setup.expected);
      await load.run({ url: setup.url, method: "POST", body: setup.body, connections: CONNECTIONS, durationS: WARMUP_S });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const setup of setups) {
        const redisBefore = await redisCpuUs(ctx.admin);
        const cpu = process.cpuUsage();
        const result = await load.run({ url: setup.url, method: "POST", body: setup.body, connections: CONNECTIONS, durationS: ROUND_S });
        const used = process.cpuUsage(cpu);
        const redisUs = (await redisCpuUs(ctx.admin)) - redisBefore;
        setup.rounds.push({ ...result, nodeUsPerReq: (used.user + used.system) / result.total, redisUsPerReq: redisUs / result.total });
      }
      console.log(`  round ${round + 1}: ${setups.map((setup) => fmtInt(setup.rounds[round]!.rps)).join(" / ")} req/s`);
    }
    return report(setups);
  } finally {
    load.close();
    for (const queue of [baseline.queue, ...apis.map((api) => api.deps.queues.email)]) await queue.obliterate({ force: true }).catch(() => undefined);
    await baseline.close();
    await Promise.all(apis.map((api) => api.close()));
  }
}

function report(setups: Setup[]): Verdict[] {
  const [base, rest1, trpc1] = setups as [Setup, Setup, Setup, ...Setup[]];
  const noMetrics = setups.find((setup) => setup.name.includes("METRICS_ENABLED=false"))!;
  const baseRps = med(base, (load) => load.rps);
  printTable(
    "gateway — median of rounds; ratios against the baseline's median",
    [
      { header: "setup", align: "left" },
      { header: "req/s" },
      { header: "min–max req/s" },
      { header: "p50 ms" },
      { header: "p99 ms" },
      { header: "Node µs/req" },
      { header: "Redis µs/req" },
      { header: "non-2xx" },
      { header: "errors" },
      { header: "× baseline" },
    ],
    setups.map((setup) => {
      const all = setup.rounds.map((load) => load.rps);
      return [
        setup.name,
        fmtInt(med(setup, (load) => load.rps)),
        `${fmtInt(Math.min(...all))}–${fmtInt(Math.max(...all))}`,
        fmtFixed(med(setup, (load) => load.p50Ms), 0),
        fmtFixed(med(setup, (load) => load.p99Ms), 0),
        fmtInt(med(setup, (load) => load.nodeUsPerReq)),
        fmtInt(med(setup, (load) => load.redisUsPerReq)),
        fmtInt(sum(setup, (load) => load.non2xx)),
        fmtInt(sum(setup, (load) => load.errors)),
        fmtRatio(med(setup, (load) => load.rps) / baseRps),
      ];
    }),
  );
  const failing = setups.filter((setup) => sum(setup, (load) => load.non2xx + load.errors) > 0);
  if (failing.length > 0) console.log(`warning: ${failing.map((setup) => setup.name).join(", ")} had non-2xx answers or errors; their req/s is not all successes`);

  const rps = (setup: Setup) => med(setup, (load) => load.rps);
  const p99 = (setup: Setup) => fmtFixed(med(setup, (load) => load.p99Ms), 0);
  const cpu = (setup: Setup) => fmtInt(med(setup, (load) => load.nodeUsPerReq));
  const verdicts: Verdict[] = [
    {
      benchmark: "gateway",
      aim: "Taskgate REST (1 rule) req/s vs bare Express 5 + zod + queue.add",
      ratio: rps(rest1) / baseRps,
      note: `p99 ${p99(rest1)} ms vs ${p99(base)} ms; server CPU per request ${cpu(rest1)} vs ${cpu(base)} µs`,
    },
    {
      benchmark: "gateway",
      aim: "tRPC mutation req/s vs its REST alias (same instance, 1 rule)",
      ratio: rps(trpc1) / rps(rest1),
      note: `p99 ${p99(trpc1)} ms vs ${p99(rest1)} ms; server CPU per request ${cpu(trpc1)} vs ${cpu(rest1)} µs`,
    },
    {
      benchmark: "gateway",
      aim: "observability's cost on the hot path: REST (1 rule) with metrics vs METRICS_ENABLED=false, ≥ 0.9×",
      ratio: rps(rest1) / rps(noMetrics),
      threshold: 0.9,
      note: `server CPU per request ${cpu(rest1)} vs ${cpu(noMetrics)} µs`,
    },
  ];
  console.log("");
  for (const verdict of verdicts) printVerdict(verdict);
  return verdicts;
}
