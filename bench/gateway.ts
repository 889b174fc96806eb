/**
 * Gateway benchmark: `POST /jobs/email` under HTTP load, Taskgate (started in-process with
 * `startApi`, open mode) against a bare Express 5 + zod + `queue.add` baseline started in the
 * same run on the same Redis, plus the same mutation over tRPC.
 */
import { randomUUID } from "node:crypto";
import { createLogger } from "@taskgate/shared/runtime";
import { startApi, type RunningApi } from "@taskgate/server";
import type { BenchContext } from "./lib/context.js";
import { benchConfig } from "./lib/email.js";
import { BATCH_SIZE, GATEWAY_RULE_SETS, gatewayRequest, startBaseline } from "./lib/gatewaySetups.js";
import { startLoadGenerator, type LoadOptions, type LoadResult } from "./lib/load.js";
import { redisCpuUs } from "./lib/redis.js";
import { fmtFixed, fmtInt, fmtRatio, median, printTable } from "./lib/table.js";
import { printVerdict, type Verdict } from "./lib/verdict.js";

const CONNECTIONS = 50;
const WARMUP_S = 1;
/**
 * Every setup runs once per round, rounds one after another: slow spells of a shared machine hit
 * all setups alike. Ratios are medians of the per-round ratios (as in worker.ts): on the hosts
 * measured, the same CPU-bound loop took 0.6 to 0.95 s of CPU from one second to the next, so
 * the rounds' speeds differ more than the setups do.
 */
const ROUNDS = 5;
const ROUND_S = 2;

/** One setup under load: what it sends, how many calls one request is, and what it measured in each round. */
interface Setup {
  name: string;
  request: LoadOptions & { expected: number };
  /** Procedure calls per HTTP request (a batch carries several). */
  callsPerRequest: number;
  rounds: Round[];
}

/** One round's load figures plus the CPU spent per request by this process (the servers) and by Redis. */
interface Round extends LoadResult {
  nodeUsPerReq: number;
  redisUsPerReq: number;
}

/** One request first, so a broken endpoint fails with its answer instead of as a table of errors. */
async function probe(request: LoadOptions & { expected: number }): Promise<void> {
  const body = request.body === undefined ? undefined : typeof request.body === "string" ? request.body : JSON.stringify(request.body);
  const headers = { "content-type": "application/json", ...request.headers, ...(request.uniqueHeader ? { [request.uniqueHeader]: randomUUID() } : {}) };
  const response = await fetch(request.url, { method: request.method ?? "GET", headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  if (response.status !== request.expected) throw new Error(`${request.method} ${request.url} answered ${response.status} (expected ${request.expected}): ${text.slice(0, 300)}`);
}

/** Starts Taskgate with a rule set (open mode, silent logs, its own key prefix). */
async function startTaskgate(keyPrefix: string, rules: readonly object[], env: Record<string, string> = {}): Promise<RunningApi> {
  const config = benchConfig(keyPrefix, { RATE_LIMIT_RULES: JSON.stringify(rules), SHUTDOWN_TIMEOUT_MS: "5000", ...env });
  return startApi(config, { logger: createLogger(config, "api") });
}

/** Median of one figure over a setup's rounds. */
const med = (setup: Setup, figure: (load: Round) => number) => median(setup.rounds.map(figure));
/** Median over the rounds of `a`'s figure over `b`'s in the same round. */
const perRound = (a: Setup, b: Setup, figure: (load: Round) => number) => median(a.rounds.map((load, i) => figure(load) / figure(b.rounds[i]!)));
const sum = (setup: Setup, figure: (load: Round) => number) => setup.rounds.reduce((total, load) => total + figure(load), 0);

export async function run(ctx: BenchContext): Promise<Verdict[]> {
  console.log(
    `\n== gateway: POST /jobs/email, ${CONNECTIONS} connections, autocannon in its own process; ` +
      `${WARMUP_S} s warm-up per setup, then ${ROUNDS} rounds of ${ROUND_S} s per setup, setups interleaved`,
  );
  const load = startLoadGenerator();
  const baseline = await startBaseline(`${ctx.prefix}-gwb`);
  const apis: RunningApi[] = [];
  const started = async (api: Promise<RunningApi>) => {
    const running = await api;
    apis.push(running);
    return running.url;
  };
  try {
    const one = await started(startTaskgate(`${ctx.prefix}-gw1`, GATEWAY_RULE_SETS.one));
    const three = await started(startTaskgate(`${ctx.prefix}-gw3`, GATEWAY_RULE_SETS.three));
    const none = await started(startTaskgate(`${ctx.prefix}-gw0`, GATEWAY_RULE_SETS.none));
    const bare = await started(startTaskgate(`${ctx.prefix}-gwm`, GATEWAY_RULE_SETS.one, { METRICS_ENABLED: "false" }));
    const setup = async (name: string, request: Promise<LoadOptions & { expected: number }>, callsPerRequest = 1): Promise<Setup> => ({
      name,
      request: { ...(await request), connections: CONNECTIONS },
      callsPerRequest,
      rounds: [],
    });
    // The two setups of each aim's pair side by side, so they meet the same spell of a shared
    // machine; odd rounds run the list backwards, so neither member of a pair always goes first.
    const setups: Setup[] = [
      await setup(SETUP_NAMES.baseline, gatewayRequest("rest", baseline.url)),
      await setup(SETUP_NAMES.rest3Key, gatewayRequest("restIdempotent", three)),
      await setup(SETUP_NAMES.rest3, gatewayRequest("rest", three)),
      await setup(SETUP_NAMES.rest, gatewayRequest("rest", one)),
      await setup(SETUP_NAMES.restNoMetrics, gatewayRequest("rest", bare)),
      await setup(SETUP_NAMES.rest0, gatewayRequest("rest", none)),
      await setup(SETUP_NAMES.restKey, gatewayRequest("restIdempotent", one)),
      await setup(SETUP_NAMES.sdk, gatewayRequest("trpc", one)),
      await setup(SETUP_NAMES.trpcPlain, gatewayRequest("trpcPlain", one)),
      await setup(SETUP_NAMES.batch, gatewayRequest("trpcBatch", one), BATCH_SIZE),
    ];
    for (const { request } of setups) {
      await probe(request);
      await load.run({ ...request, durationS: WARMUP_S });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const setup of round % 2 === 0 ? setups : [...setups].reverse()) {
        const redisBefore = await redisCpuUs(ctx.admin);
        const cpu = process.cpuUsage();
        const result = await load.run({ ...setup.request, durationS: ROUND_S });
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

/** The rows, by role: the verdicts find their setups by these names. */
const SETUP_NAMES = {
  baseline: "baseline: Express 5 + zod + queue.add",
  rest: "Taskgate REST, 1 rule",
  restKey: "Taskgate REST, 1 rule, Idempotency-Key",
  sdk: "Taskgate tRPC via the SDK (httpLink, key), 1 rule",
  trpcPlain: "Taskgate tRPC httpLink, no key, 1 rule",
  batch: `Taskgate tRPC httpBatchLink × ${BATCH_SIZE}, no key, 1 rule`,
  rest3: "Taskgate REST, 3 rules, metrics (no key)",
  rest3Key: "Taskgate REST, 3 rules, Idempotency-Key, metrics",
  rest0: "Taskgate REST, 0 rules (no limiter call)",
  restNoMetrics: "Taskgate REST, 1 rule, METRICS_ENABLED=false",
} as const;

function report(setups: Setup[]): Verdict[] {
  const row = (name: string) => setups.find((setup) => setup.name === name)!;
  const base = row(SETUP_NAMES.baseline);
  printTable(
    "gateway — median of rounds; × baseline is the median of the per-round ratios (a batch row: requests/s, each of several calls)",
    [
      { header: "setup", align: "left" },
      { header: "req/s" },
      { header: "min–max req/s" },
      { header: "p50 ms" },
      { header: "p99 ms" },
      { header: "Node µs/req" },
      { header: "Node µs/call" },
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
        fmtInt(med(setup, (load) => load.nodeUsPerReq) / setup.callsPerRequest),
        fmtInt(med(setup, (load) => load.redisUsPerReq)),
        fmtInt(sum(setup, (load) => load.non2xx)),
        fmtInt(sum(setup, (load) => load.errors)),
        fmtRatio(perRound(setup, base, (load) => load.rps)),
      ];
    }),
  );
  const failing = setups.filter((setup) => sum(setup, (load) => load.non2xx + load.errors) > 0);
  if (failing.length > 0) console.log(`warning: ${failing.map((setup) => setup.name).join(", ")} had non-2xx answers or errors; their req/s is not all successes`);

  const p99 = (setup: Setup) => med(setup, (load) => load.p99Ms);
  const cpu = (setup: Setup) => med(setup, (load) => load.nodeUsPerReq);
  const cpuPerCall = (setup: Setup) => cpu(setup) / setup.callsPerRequest;
  const ms = (value: number) => `${fmtFixed(value, 0)} ms`;
  const us = (value: number) => `${fmtInt(value)} µs`;
  const [rest1, restKey, sdk, trpcPlain, batch, rest3, rest3Key, noMetrics] = [
    SETUP_NAMES.rest,
    SETUP_NAMES.restKey,
    SETUP_NAMES.sdk,
    SETUP_NAMES.trpcPlain,
    SETUP_NAMES.batch,
    SETUP_NAMES.rest3,
    SETUP_NAMES.rest3Key,
    SETUP_NAMES.restNoMetrics,
  ].map(row) as [Setup, Setup, Setup, Setup, Setup, Setup, Setup, Setup];
  const verdicts: Verdict[] = [
    {
      benchmark: "gateway",
      aim: "tRPC jobs.email.create via the SDK's link vs its REST alias (both with an Idempotency-Key), req/s",
      ratio: perRound(sdk, restKey, (load) => load.rps),
      threshold: 0.85,
      note: `server CPU per request ${us(cpu(sdk))} vs ${us(cpu(restKey))}`,
    },
    {
      benchmark: "gateway",
      aim: "tRPC via the SDK's link vs its REST alias, p99",
      ratio: perRound(sdk, restKey, (load) => load.p99Ms),
      threshold: 1.3,
      direction: "atMost",
      note: `${ms(p99(sdk))} vs ${ms(p99(restKey))}`,
    },
    {
      benchmark: "gateway",
      aim: "REST, 3 rules + Idempotency-Key + metrics vs the bare baseline, req/s",
      ratio: perRound(rest3Key, base, (load) => load.rps),
      threshold: 0.8,
      // The same path without the key splits the gap into the rules' share and the key's.
      note: `server CPU per request ${us(cpu(rest3Key))} vs ${us(cpu(base))}; without the key ${fmtRatio(perRound(rest3, base, (load) => load.rps))} (${us(cpu(rest3))})`,
    },
    {
      benchmark: "gateway",
      aim: "REST, 3 rules + Idempotency-Key + metrics vs the bare baseline, p99",
      ratio: perRound(rest3Key, base, (load) => load.p99Ms),
      threshold: 1.5,
      direction: "atMost",
      note: `${ms(p99(rest3Key))} vs ${ms(p99(base))}`,
    },
    {
      benchmark: "gateway",
      aim: `server CPU per call: a ${BATCH_SIZE}-call httpBatchLink request vs single httpLink calls (below 1 = the batch is cheaper)`,
      ratio: (perRound(batch, trpcPlain, (load) => load.nodeUsPerReq) * trpcPlain.callsPerRequest) / batch.callsPerRequest,
      threshold: 1,
      direction: "atMost",
      note: `${us(cpuPerCall(batch))} vs ${us(cpuPerCall(trpcPlain))} per call`,
    },
    {
      benchmark: "gateway",
      aim: "Taskgate REST (1 rule, no key) req/s vs bare Express 5 + zod + queue.add",
      ratio: perRound(rest1, base, (load) => load.rps),
      note: `p99 ${ms(p99(rest1))} vs ${ms(p99(base))}; server CPU per request ${us(cpu(rest1))} vs ${us(cpu(base))}`,
    },
    {
      benchmark: "gateway",
      aim: "observability's cost on the hot path: REST (1 rule) with metrics vs METRICS_ENABLED=false, ≥ 0.9×",
      ratio: perRound(rest1, noMetrics, (load) => load.rps),
      threshold: 0.9,
      note: `server CPU per request ${us(cpu(rest1))} vs ${us(cpu(noMetrics))}`,
    },
  ];
  console.log("");
  for (const verdict of verdicts) printVerdict(verdict);
  return verdicts;
}
