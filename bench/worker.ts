/**
 * Worker benchmark: jobs/s of Taskgate's guarded email processor (`startWorker` with a transport
 * that accepts at once) against the contender most peers ship, a BullMQ Worker that takes a
 * `SET NX` key per job before sending (at most once, no done mark), and against a raw BullMQ
 * Worker with a no-op processor (for reference); same Redis, same job data and options, same
 * concurrency. Each run drains a queue pre-filled with `addBulk`.
 *
 * The machine is shared and noisy, so: an unmeasured warm-up round first (a worker runs for days;
 * V8 compiling its code in the first second is not what is measured), then rounds in which the
 * contenders run back to back, and a ratio is the median of the per-round ratios (a round's runs
 * see nearly the same machine load, rounds apart do not).
 *
 * At concurrency 50 three diagnostic rows run Taskgate's worker with a variant of the guard
 * (`lib/diagnosticGuards.ts`): the real guard with its done mark awaited (as before done marks
 * went out unawaited, and as on a Redis Cluster), a stand-in with no guard work at all, and one
 * whose claim only waits for a Redis round trip and whose done mark is a PING sent unawaited.
 * They show, in every run, what the awaited done mark cost and what the guard's shape costs
 * apart from what it does in Redis.
 */
import { performance } from "node:perf_hooks";
import { Queue, Worker, type Processor } from "bullmq";
import type { Cluster, Redis } from "ioredis";
import { bullPrefix, effectTtlMs, type EmailJobData } from "@taskgate/shared";
import { createLogger } from "@taskgate/shared/runtime";
import { defaultJobOptions } from "@taskgate/server";
import { startWorker, type MailTransport } from "@taskgate/worker";
import type { BenchContext } from "./lib/context.js";
import { benchConfig, benchJobData } from "./lib/email.js";
import { createAwaitedDoneGuard, createNoRedisGuard, createRoundTripGuard } from "./lib/diagnosticGuards.js";
import { connect, redisCpuUs } from "./lib/redis.js";
import { fmtInt, fmtRatio, median, printTable } from "./lib/table.js";
import { printVerdict, type Verdict } from "./lib/verdict.js";

type Kind = "raw" | "setNx" | "taskgate" | "awaitedDone" | "noRedisGuard" | "roundTripGuard";

/** What each contender's row is called. */
const KIND_NAMES: Record<Kind, string> = {
  raw: "raw BullMQ, no-op processor",
  setNx: "BullMQ + SET NX before sending",
  taskgate: "Taskgate guarded email processor",
  awaitedDone: "  diagnostic: done mark awaited (before; Cluster)",
  noRedisGuard: "  diagnostic: guard without Redis",
  roundTripGuard: "  diagnostic: guard = 1 round trip, no logic",
};

/**
 * Per concurrency: the contenders, jobs per run, how many measured rounds (contenders take turns
 * within a round), jobs per warm-up run.
 */
const PLANS: readonly { concurrency: number; kinds: readonly Kind[]; jobs: number; rounds: number; warmupJobs: number }[] = [
  { concurrency: 50, kinds: ["raw", "setNx", "taskgate", "awaitedDone", "noRedisGuard", "roundTripGuard"], jobs: 3_000, rounds: 5, warmupJobs: 1_000 },
  { concurrency: 1, kinds: ["raw", "setNx", "taskgate"], jobs: 500, rounds: 5, warmupJobs: 200 },
];
/** Longest one run may take before it is abandoned as stuck. */
const RUN_TIMEOUT_MS = 30_000;

type OutgoingMail = Parameters<MailTransport["send"]>[0];

/** A transport that accepts every mail at once: the processor's own cost is what is measured. */
const nullTransport: MailTransport = {
  send: async (mail) => ({ messageId: mail.messageId, response: "250 accepted by the benchmark", accepted: [mail.to].flat(), rejected: [] }),
  close: () => undefined,
};

interface RunResult {
  jobsPerSec: number;
  failed: number;
  /** CPU of this process (the worker) per job, in µs. */
  nodeUsPerJob: number;
  /** CPU of the Redis server per job, in µs (server-wide: other clients would blur it). */
  redisUsPerJob: number;
}

/** A worker that is started, counted and stopped. */
interface Running {
  worker: Worker;
  close(): Promise<unknown>;
}

/**
 * The processor most peers ship: `SET <prefix>:sent:<jobId> 1 NX PX <ttl>`, then send unless the
 * key existed. At most once (a crash after the SET loses the mail), no done mark, one awaited
 * round trip before the send and none after it. The key lives under the run's prefix with the
 * guard's record lifetime, and the message is the job's own fields with a per-job Message-ID.
 */
function setNxProcessor(connection: Redis, keyPrefix: string, ttlMs: number): Processor<EmailJobData> {
  return async (job) => {
    const jobId = job.id!;
    if ((await connection.set(`${keyPrefix}:sent:${jobId}`, "1", "PX", ttlMs, "NX")) === null) return { deduplicated: true };
    const { email } = job.data;
    const mail: OutgoingMail = { from: "bench@example.com", to: email.to, subject: email.subject, messageId: `<${job.queueName}.${jobId}@example.com>`, headers: {} };
    if (email.text !== undefined) mail.text = email.text;
    return nullTransport.send(mail);
  };
}

async function startContender(kind: Kind, keyPrefix: string, concurrency: number): Promise<Running> {
  const config = benchConfig(keyPrefix, { WORKER_CONCURRENCY: String(concurrency), SHUTDOWN_TIMEOUT_MS: "5000" });
  if (kind !== "raw" && kind !== "setNx") {
    const createGuard =
      kind === "noRedisGuard"
        ? createNoRedisGuard
        : kind === "roundTripGuard"
          ? createRoundTripGuard
          : kind === "awaitedDone"
            ? (connection: Redis | Cluster) => createAwaitedDoneGuard(connection, config)
            : undefined;
    const running = await startWorker(config, { logger: createLogger(config, "worker"), transport: nullTransport, ...(createGuard ? { createGuard } : {}) });
    return { worker: running.worker as unknown as Worker, close: () => running.close() };
  }
  const connection = connect(`worker-${kind}`, { blocking: true });
  // The SET goes on the worker's own connection, as a peer's processor would send it.
  const processor: Processor<EmailJobData> = kind === "setNx" ? setNxProcessor(connection, keyPrefix, effectTtlMs(config)) : async () => ({});
  const worker = new Worker<EmailJobData>("email", processor, { connection, prefix: bullPrefix(keyPrefix), concurrency });
  return {
    worker,
    close: async () => {
      await worker.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/**
 * Pre-fills `jobs` jobs into a paused queue, starts the worker, resumes the queue, and times
 * first completion → last completion (connection set-up and the first fetch are not counted,
 * for either contender). Pausing first means no completion happens before the listeners are on.
 */
async function drainRun(kind: Kind, keyPrefix: string, concurrency: number, jobs: number): Promise<RunResult> {
  const config = benchConfig(keyPrefix);
  const connection = connect(`worker-fill-${kind}`);
  const queue = new Queue<EmailJobData>("email", { connection, prefix: bullPrefix(keyPrefix), defaultJobOptions: defaultJobOptions(config) });
  try {
    for (let start = 0; start < jobs; start += 1000) {
      const batch = Array.from({ length: Math.min(1000, jobs - start) }, (_, i) => ({ name: "send", data: benchJobData(start + i) }));
      await queue.addBulk(batch);
    }
    await queue.pause();
    let completed = 0;
    let failed = 0;
    let first = 0;
    let last = 0;
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const settle = () => {
      if (completed + failed === jobs) resolveDone();
    };
    const running = await startContender(kind, keyPrefix, concurrency);
    running.worker.on("completed", () => {
      last = performance.now();
      if (completed === 0) first = last;
      completed += 1;
      settle();
    });
    running.worker.on("failed", () => {
      failed += 1;
      settle();
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const redisBefore = await redisCpuUs(connection);
      const cpu = process.cpuUsage();
      await queue.resume();
      const finished = await Promise.race([
        done.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), RUN_TIMEOUT_MS))),
      ]);
      if (!finished) throw new Error(`${kind} worker finished ${completed} of ${jobs} jobs (${failed} failed) in ${RUN_TIMEOUT_MS} ms`);
      const used = process.cpuUsage(cpu);
      const redisUs = (await redisCpuUs(connection)) - redisBefore;
      return {
        jobsPerSec: ((completed - 1) / (last - first)) * 1000,
        failed,
        nodeUsPerJob: (used.user + used.system) / jobs,
        redisUsPerJob: redisUs / jobs,
      };
    } finally {
      clearTimeout(timer);
      await running.close();
    }
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await connection.quit().catch(() => connection.disconnect());
  }
}

export async function run(ctx: BenchContext): Promise<Verdict[]> {
  console.log("\n== worker: drain a pre-filled queue; jobs/s from first to last completion; null mail transport");
  const rows: string[][] = [];
  /** Taskgate's ratio to each baseline, per concurrency. */
  const ratios = { setNx: new Map<number, number>(), raw: new Map<number, number>() };
  let costAt50 = "";
  let diagnosticsAt50 = "";
  let run = 0;
  for (const plan of PLANS) {
    const results: Record<Kind, RunResult[]> = { raw: [], setNx: [], taskgate: [], awaitedDone: [], noRedisGuard: [], roundTripGuard: [] };
    for (const kind of plan.kinds) {
      const warmup = await drainRun(kind, `${ctx.prefix}-wk${run++}`, plan.concurrency, plan.warmupJobs);
      if (warmup.failed > 0) throw new Error(`${kind} at concurrency ${plan.concurrency}: ${warmup.failed} jobs failed in the warm-up`);
    }
    for (let round = 0; round < plan.rounds; round++) {
      // Rotate who goes first, so no contender always gets the fresher Redis.
      const order = plan.kinds.map((_, i) => plan.kinds[(i + round) % plan.kinds.length]!);
      for (const kind of order) {
        const result = await drainRun(kind, `${ctx.prefix}-wk${run++}`, plan.concurrency, plan.jobs);
        if (result.failed > 0) throw new Error(`${kind} at concurrency ${plan.concurrency}: ${result.failed} jobs failed`);
        results[kind].push(result);
      }
    }
    const rate = (kind: Kind) => median(results[kind].map((r) => r.jobsPerSec));
    // Median of the per-round ratios: each round's runs saw nearly the same machine.
    const ratioOf = (kind: Kind, baseline: "raw" | "setNx") => median(results[kind].map((r, i) => r.jobsPerSec / results[baseline][i]!.jobsPerSec));
    ratios.setNx.set(plan.concurrency, ratioOf("taskgate", "setNx"));
    ratios.raw.set(plan.concurrency, ratioOf("taskgate", "raw"));
    if (plan.concurrency === 50) {
      diagnosticsAt50 =
        `done mark awaited (as before, and on a Cluster) ${fmtRatio(ratioOf("awaitedDone", "setNx"))}, guard without Redis ${fmtRatio(ratioOf("noRedisGuard", "setNx"))}, ` +
        `guard = 1 round trip without logic ${fmtRatio(ratioOf("roundTripGuard", "setNx"))} × SET NX`;
      const cost = (figure: (r: RunResult) => number) => (["taskgate", "setNx", "raw"] as const).map((kind) => fmtInt(median(results[kind].map(figure)))).join(" / ");
      costAt50 = `CPU per job (Taskgate / SET NX / raw): Node ${cost((r) => r.nodeUsPerJob)} µs, Redis ${cost((r) => r.redisUsPerJob)} µs`;
    }
    const row = (kind: Kind) => {
      const all = results[kind];
      const perSec = all.map((r) => r.jobsPerSec);
      const spread = all.length > 1 ? `${fmtInt(Math.min(...perSec))}–${fmtInt(Math.max(...perSec))}` : "-";
      const nodeUs = median(all.map((r) => r.nodeUsPerJob));
      const redisUs = median(all.map((r) => r.redisUsPerJob));
      const versus = (baseline: "raw" | "setNx") => fmtRatio(kind === baseline ? 1 : ratioOf(kind, baseline));
      return [KIND_NAMES[kind], String(plan.concurrency), fmtInt(plan.jobs), fmtInt(rate(kind)), spread, fmtInt(nodeUs), fmtInt(redisUs), versus("setNx"), versus("raw")];
    };
    for (const kind of plan.kinds) rows.push(row(kind));
  }
  printTable(
    "worker — jobs/s (median of rounds, after a warm-up round) and ratios to BullMQ + SET NX and to raw BullMQ at the same concurrency (medians of per-round ratios)",
    [
      { header: "worker", align: "left" },
      { header: "concurrency" },
      { header: "jobs" },
      { header: "jobs/s" },
      { header: "min–max" },
      { header: "Node µs/job" },
      { header: "Redis µs/job" },
      { header: "× SET NX" },
      { header: "× raw" },
    ],
    rows,
  );
  const verdicts: Verdict[] = [
    {
      benchmark: "worker",
      aim: "Taskgate guarded processor jobs/s ≥ 0.95× BullMQ + SET NX at concurrency 50",
      ratio: ratios.setNx.get(50) ?? Number.NaN,
      threshold: 0.95,
      note: `at concurrency 1: ${fmtRatio(ratios.setNx.get(1) ?? Number.NaN)}; ${costAt50}; diagnostics at 50: ${diagnosticsAt50}`,
    },
    {
      // For reference only: a no-op processor sends nothing and guarantees nothing.
      benchmark: "worker",
      aim: "Taskgate guarded processor vs raw BullMQ no-op worker at concurrency 50 (reference)",
      ratio: ratios.raw.get(50) ?? Number.NaN,
      note: `at concurrency 1: ${fmtRatio(ratios.raw.get(1) ?? Number.NaN)}`,
    },
  ];
  console.log("");
  for (const verdict of verdicts) printVerdict(verdict);
  return verdicts;
}
