/**
 * Limiter benchmark: checks/s of Taskgate's exact sliding-window limiter (1 and 3 matching
 * rules, one Lua call per check) against a trivial `EVALSHA` (the floor of any Lua limiter),
 * rate-limiter-flexible's fixed window, and its `RateLimiterUnion` of three fixed windows (the
 * peer's way to check three limits: three calls, not atomic), each on its own connection, same
 * ops and concurrency. A row runs the least work any exact 3-rule sorted-set check must do
 * (`lua/exactCheckFloor-n.lua`), so each run shows how close to that floor Taskgate's check is;
 * the aim is on Redis CPU per check, which the machine's load blurs less than ops/s.
 * Three more rows check the same 3 rules over a rotation of 20 users and IPs: with fixed rules,
 * and against a stored policy (`createPolicyStore` + `createPolicyCache`, as the API runs) of 0
 * and of 10 000 overrides, 4 of the 20 identities overridden; an INFO verdict compares the two.
 */
import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterUnion } from "rate-limiter-flexible";
import { CONFIG_DEFAULTS, rateLimitRules, type RateLimitRuleInput } from "@taskgate/shared";
// The limiter is not part of the server package's public entry; tests import it the same way.
import { createRateLimiter, type RateLimiter, type RateLimitRequest } from "../server/src/rateLimit/index.js";
import type { BenchContext } from "./lib/context.js";
import { IDENTITIES, policyLimiter, rotation, type RotationStep } from "./lib/limiterPolicy.js";
import { runOps, type OpsResult } from "./lib/ops.js";
import { connect, redisCpuUs } from "./lib/redis.js";
import { fmtFixed, fmtInt, fmtRatio, median, printTable } from "./lib/table.js";
import { printVerdict, type Verdict } from "./lib/verdict.js";

const OPS = 20_000;
const IN_FLIGHT = 64;
const WARMUP_OPS = 2_000;
/** The rotation's warm-up: enough for every identity's set to leave Redis's small listpack encoding (128 entries). */
const ROTATION_WARMUP_OPS = IDENTITIES * 200;
/** Overrides of the large stored policy. */
const MANY_OVERRIDES = 10_000;
/** Contenders take turns, round after round; the table shows each one's median round. */
const ROUNDS = 5;
const HUGE = 1_000_000_000;
/** The aim: a 3-rule exact check's Redis CPU at most this many times the lower bound's. */
const FLOOR_CPU_AIM = 1.3;

const request: RateLimitRequest = { route: "POST /jobs/email", ip: "127.0.0.1", userId: "bench-user" };
const rule = (name: string, key: RateLimitRuleInput["key"], extra: Partial<RateLimitRuleInput> = {}): RateLimitRuleInput => ({
  name, key, limit: HUGE, windowMs: 60_000, ...extra,
});
const ONE_RULE = rateLimitRules.parse([rule("bench-ip", "ip")]);
const THREE_RULES = rateLimitRules.parse([rule("bench-ip", "ip"), rule("bench-user", "user", { routes: ["POST /jobs/*"] }), rule("bench-global", "global")]);

interface Contender {
  name: string;
  connection: Redis;
  op: () => Promise<unknown>;
  /** Default WARMUP_OPS. */
  warmupOps?: number;
}

/** Redis commands one op sends, counted on its connection (every command is a round trip here). */
async function commandsPerOp(contender: Contender, ops = 50): Promise<number> {
  let sent = 0;
  const original = contender.connection.sendCommand;
  contender.connection.sendCommand = function (this: Redis, ...args: Parameters<Redis["sendCommand"]>) {
    sent += 1;
    return original.apply(this, args);
  };
  try {
    for (let i = 0; i < ops; i++) await contender.op();
  } finally {
    contender.connection.sendCommand = original;
  }
  return sent / ops;
}

/** Calls and total µs of EVALSHA so far (INFO commandstats): every contender's op is EVALSHA calls only (one, or three for the union). */
async function evalshaStats(admin: Redis): Promise<{ calls: number; usec: number }> {
  const line = /^cmdstat_evalsha:(.*)$/m.exec(await admin.info("commandstats"))?.[1] ?? "";
  const field = (name: string) => Number(new RegExp(`(?:^|,)${name}=(\\d+)`).exec(line)?.[1] ?? 0);
  return { calls: field("calls"), usec: field("usec") };
}

export async function run(ctx: BenchContext): Promise<Verdict[]> {
  console.log(`\n== limiter: ${fmtInt(OPS)} ops, ${IN_FLIGHT} in flight, one connection each, median of ${ROUNDS} interleaved rounds`);
  const prefix = `${ctx.prefix}-rl`;
  const connections: Redis[] = [];
  const open = (name: string) => {
    const connection = connect(`limiter-${name}`);
    connections.push(connection);
    return connection;
  };
  try {
    const rawConnection = open("evalsha");
    const sha = (await rawConnection.script("LOAD", "return 1")) as string;

    const rlfConnection = open("rlf");
    const rlf = new RateLimiterRedis({ storeClient: rlfConnection, keyPrefix: `${prefix}-rlf`, points: HUGE, duration: 60 });
    // Three fixed windows consumed together: three EVALSHA per check, each limiter charged even
    // when another rejects.
    const unionConnection = open("rlf-union");
    const union = new RateLimiterUnion(
      ...["a", "b", "c"].map((name) => new RateLimiterRedis({ storeClient: unionConnection, keyPrefix: `${prefix}-rlfu-${name}`, points: HUGE, duration: 60 })),
    );

    const oneConnection = open("taskgate-1");
    const one = createRateLimiter({ failMode: CONFIG_DEFAULTS.rateLimitFailMode, commandTimeoutMs: CONFIG_DEFAULTS.redisCommandTimeoutMs, redis: oneConnection, keyPrefix: `${prefix}-1`, rules: ONE_RULE });
    const threeConnection = open("taskgate-3");
    const three = createRateLimiter({ failMode: CONFIG_DEFAULTS.rateLimitFailMode, commandTimeoutMs: CONFIG_DEFAULTS.redisCommandTimeoutMs, redis: threeConnection, keyPrefix: `${prefix}-3`, rules: THREE_RULES });

    // Same keys, arguments and reply shape as a 3-rule check; see the script's header.
    const floorConnection = open("floor-3");
    const floorSha = (await floorConnection.script("LOAD", readFileSync(new URL("./lua/exactCheckFloor-n.lua", import.meta.url), "utf8"))) as string;
    const floorKeys = ["ip:127.0.0.1", "user:bench-user", "global:*"].map((identity) => `${prefix}-floor:rl:${identity}`);
    const floorRuleArgs = Array.from({ length: 3 }, () => [String(HUGE), "60000", "1"]).flat();
    let floorMember = 0;
    const floorOp = async () => {
      const reply = (await floorConnection.evalsha(floorSha, 3, ...floorKeys, `m${(floorMember += 1).toString(36)}`, ...floorRuleArgs)) as number[];
      if (reply[0] !== 1) throw new Error(`lower-bound script did not admit: ${JSON.stringify(reply)}`);
    };

    // Every check must be a real admission through every rule, not a fail-open shortcut.
    const checked = (limiter: RateLimiter, matched: number) => async () => {
      const d = await limiter.check(request);
      if (!d.allowed || d.failure || d.outcomes.length !== matched) throw new Error(`unexpected decision: ${JSON.stringify({ ...d, error: String(d.error) })}`);
    };
    // The same 3 rules over the rotation; every outcome must carry the limit its identity has
    // (the override's where one applies), so an override that was not looked up fails the run.
    const rotating = (limiter: RateLimiter, steps: readonly RotationStep[]) => {
      let next = 0;
      return async () => {
        const step = steps[next++ % steps.length]!;
        const d = await limiter.check(step.request);
        if (!d.allowed || d.failure || d.outcomes.length !== step.limits.size || d.outcomes.some((o) => o.limit !== step.limits.get(o.name))) {
          throw new Error(`unexpected decision: ${JSON.stringify({ ...d, error: String(d.error) })}`);
        }
      };
    };
    const fixedRotationConnection = open("taskgate-3-rotation");
    const fixedRotation = createRateLimiter({ failMode: CONFIG_DEFAULTS.rateLimitFailMode, commandTimeoutMs: CONFIG_DEFAULTS.redisCommandTimeoutMs, redis: fixedRotationConnection, keyPrefix: `${prefix}-3r`, rules: THREE_RULES });
    // Each policy limiter shares its connection with its store, as in the API: a reload would show in cmds/op.
    const noneConnection = open("policy-0");
    const none = await policyLimiter({ redis: noneConnection, keyPrefix: `${prefix}-p0`, rules: THREE_RULES, overrides: 0 });
    const manyConnection = open("policy-10k");
    const many = await policyLimiter({ redis: manyConnection, keyPrefix: `${prefix}-p10k`, rules: THREE_RULES, overrides: MANY_OVERRIDES });

    const RLF = "rate-limiter-flexible consume (fixed window)";
    const UNION = "rate-limiter-flexible RateLimiterUnion of three fixed windows";
    const ONE = "Taskgate check, 1 rule (sliding window)";
    const THREE = "Taskgate check, 3 rules (sliding window)";
    const FLOOR = "lower bound, 3 rules: TIME + ZCARD + ZADD each";
    const FIXED_ROTATION = `3 rules, ${IDENTITIES} identities: fixed rules (no version check)`;
    const POLICY_0 = `3 rules, ${IDENTITIES} identities: stored policy, 0 overrides`;
    const POLICY_MANY = `3 rules, ${IDENTITIES} identities: stored policy, ${fmtInt(MANY_OVERRIDES)} overrides`;
    const contenders: Contender[] = [
      { name: "raw EVALSHA (return 1)", connection: rawConnection, op: () => rawConnection.evalsha(sha, 0) },
      { name: RLF, connection: rlfConnection, op: () => rlf.consume("127.0.0.1") },
      { name: UNION, connection: unionConnection, op: () => union.consume("127.0.0.1") },
      { name: ONE, connection: oneConnection, op: checked(one, 1) },
      { name: THREE, connection: threeConnection, op: checked(three, 3) },
      { name: FLOOR, connection: floorConnection, op: floorOp },
      { name: FIXED_ROTATION, connection: fixedRotationConnection, op: rotating(fixedRotation, rotation(THREE_RULES, false)), warmupOps: ROTATION_WARMUP_OPS },
      { name: POLICY_0, connection: noneConnection, op: rotating(none.limiter, rotation(THREE_RULES, false)), warmupOps: ROTATION_WARMUP_OPS },
      { name: POLICY_MANY, connection: manyConnection, op: rotating(many.limiter, rotation(THREE_RULES, true)), warmupOps: ROTATION_WARMUP_OPS },
    ];

    const commands = new Map<string, number>();
    for (const contender of contenders) {
      await runOps(contender.warmupOps ?? WARMUP_OPS, IN_FLIGHT, contender.op);
      commands.set(contender.name, await commandsPerOp(contender));
    }
    const rounds = new Map<string, OpsResult[]>(contenders.map((c) => [c.name, []]));
    // Redis-side cost, summed over the measured rounds: EVALSHA µs per call (commandstats: wall
    // time inside the script, so a Redis preempted mid-script on a busy machine counts the wait)
    // and Redis CPU per op (INFO cpu: CPU actually used, request I/O included). Both server-wide,
    // so another client of the same Redis at the same time blurs them.
    const redisUsec = new Map<string, { calls: number; usec: number; cpuUs: number }>(contenders.map((c) => [c.name, { calls: 0, usec: 0, cpuUs: 0 }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of contenders) {
        const before = await evalshaStats(ctx.admin);
        const cpuBefore = await redisCpuUs(ctx.admin);
        const result = await runOps(OPS, IN_FLIGHT, contender.op);
        const cpuAfter = await redisCpuUs(ctx.admin);
        const after = await evalshaStats(ctx.admin);
        if (result.errors > 0) throw new Error(`${contender.name}: ${result.errors} of ${result.ops} ops failed, first: ${String(result.firstError)}`);
        rounds.get(contender.name)!.push(result);
        const stats = redisUsec.get(contender.name)!;
        stats.calls += after.calls - before.calls;
        stats.usec += after.usec - before.usec;
        stats.cpuUs += cpuAfter - cpuBefore;
      }
    }

    // Median round by ops/s; its latencies are shown with it.
    const pick = (name: string): OpsResult => {
      const results = rounds.get(name)!;
      const mid = median(results.map((r) => r.opsPerSec));
      return results.reduce((best, r) => (Math.abs(r.opsPerSec - mid) < Math.abs(best.opsPerSec - mid) ? r : best));
    };
    // Per op, not per EVALSHA call: the union's op is three calls.
    const redisPerOp = (name: string) => redisUsec.get(name)!.usec / (OPS * ROUNDS);
    const redisCpuPerOp = (name: string) => redisUsec.get(name)!.cpuUs / (OPS * ROUNDS);
    const raw = pick(contenders[0]!.name);
    const rlfResult = pick(RLF);
    printTable(
      "limiter — ops/s and ratios",
      [
        { header: "contender", align: "left" },
        { header: "ops/s" },
        { header: "min–max ops/s" },
        { header: "p50 µs" },
        { header: "p99 µs" },
        { header: "cmds/op" },
        { header: "Redis µs/op" },
        { header: "Redis CPU µs/op" },
        { header: "Node µs/op" },
        { header: "× EVALSHA" },
        { header: "× rlf" },
      ],
      contenders.map(({ name }) => {
        const r = pick(name);
        const all = rounds.get(name)!.map((x) => x.opsPerSec);
        return [
          name,
          fmtInt(r.opsPerSec),
          `${fmtInt(Math.min(...all))}–${fmtInt(Math.max(...all))}`,
          fmtInt(r.p50Us),
          fmtInt(r.p99Us),
          fmtFixed(commands.get(name)!, 1),
          fmtFixed(redisPerOp(name), 1),
          fmtFixed(redisCpuPerOp(name), 1),
          fmtFixed(median(rounds.get(name)!.map((x) => x.cpuUsPerOp)), 1),
          fmtRatio(r.opsPerSec / raw.opsPerSec),
          fmtRatio(r.opsPerSec / rlfResult.opsPerSec),
        ];
      }),
    );
    const threeResult = pick(THREE);
    const floorResult = pick(FLOOR);
    const unionResult = pick(UNION);
    const floorVerdict: Verdict = {
      benchmark: "limiter",
      aim: "3-rule exact check's Redis CPU per call vs the lower bound of any exact 3-rule sorted-set check",
      ratio: redisCpuPerOp(THREE) / redisCpuPerOp(FLOOR),
      threshold: FLOOR_CPU_AIM,
      direction: "atMost",
      note:
        `Redis CPU µs/op ${fmtFixed(redisCpuPerOp(THREE), 1)} vs ${fmtFixed(redisCpuPerOp(FLOOR), 1)}; ` +
        `EVALSHA µs/op ${fmtFixed(redisPerOp(THREE), 1)} vs ${fmtFixed(redisPerOp(FLOOR), 1)}; ` +
        `ops/s at ${fmtRatio(threeResult.opsPerSec / floorResult.opsPerSec)} of the lower bound's`,
    };
    const unionVerdict: Verdict = {
      benchmark: "limiter",
      aim: "3-rule exact check (one atomic call) vs rate-limiter-flexible's RateLimiterUnion of three fixed windows (three calls)",
      ratio: threeResult.opsPerSec / unionResult.opsPerSec,
      note:
        `${fmtInt(threeResult.opsPerSec)} vs ${fmtInt(unionResult.opsPerSec)} checks/s; ` +
        `Redis CPU µs/op ${fmtFixed(redisCpuPerOp(THREE), 1)} vs ${fmtFixed(redisCpuPerOp(UNION), 1)}, ` +
        `Node µs/op ${fmtFixed(median(rounds.get(THREE)!.map((x) => x.cpuUsPerOp)), 1)} vs ${fmtFixed(median(rounds.get(UNION)!.map((x) => x.cpuUsPerOp)), 1)}`,
    };
    // Kept as information: a single fixed window checks one limit, so it is no aim for three.
    const rlfVerdict: Verdict = {
      benchmark: "limiter",
      aim: "3-rule exact check vs rate-limiter-flexible's single fixed-window check",
      ratio: threeResult.opsPerSec / rlfResult.opsPerSec,
      note:
        `1-rule check at ${fmtRatio(pick(ONE).opsPerSec / rlfResult.opsPerSec)}; ` +
        `lower bound of any exact 3-rule sorted-set check at ${fmtRatio(floorResult.opsPerSec / rlfResult.opsPerSec)}; ` +
        `Redis µs/op ${fmtFixed(redisPerOp(THREE), 1)} vs ${fmtFixed(redisPerOp(RLF), 1)}, ` +
        `Redis CPU µs/op ${fmtFixed(redisCpuPerOp(THREE), 1)} vs ${fmtFixed(redisCpuPerOp(RLF), 1)}`,
    };
    for (const [label, policy] of [["0", none], [fmtInt(MANY_OVERRIDES), many]] as const) {
      if (policy.cache.current().version !== String(policy.version)) throw new Error(`the ${label}-override policy moved to version ${policy.cache.current().version} during the run`);
    }
    const noneResult = pick(POLICY_0);
    const manyResult = pick(POLICY_MANY);
    const nodePerOp = (name: string) => median(rounds.get(name)!.map((x) => x.cpuUsPerOp));
    const policyVerdict: Verdict = {
      benchmark: "limiter",
      aim: `3-rule check on a stored policy of ${fmtInt(MANY_OVERRIDES)} overrides vs one of 0`,
      ratio: manyResult.opsPerSec / noneResult.opsPerSec,
      note:
        `Redis CPU µs/op ${fmtFixed(redisCpuPerOp(POLICY_MANY), 1)} vs ${fmtFixed(redisCpuPerOp(POLICY_0), 1)}, ` +
        `Node µs/op ${fmtFixed(nodePerOp(POLICY_MANY), 1)} vs ${fmtFixed(nodePerOp(POLICY_0), 1)}; ` +
        `0 overrides vs fixed rules (the version GET) at ${fmtRatio(noneResult.opsPerSec / pick(FIXED_ROTATION).opsPerSec)}, ` +
        `Redis CPU µs/op ${fmtFixed(redisCpuPerOp(POLICY_0), 1)} vs ${fmtFixed(redisCpuPerOp(FIXED_ROTATION), 1)}`,
    };
    console.log(
      `\nstored policy: ${fmtInt(MANY_OVERRIDES)} overrides = ${fmtFixed(many.docBytes / 1024, 0)} kB, written in one change in ${fmtFixed(many.writeMs, 1)} ms; ` +
        `a reload (one MGET, parse, compile) takes ${fmtFixed(many.reloadMs, 1)} ms (0 overrides: ${fmtFixed(none.reloadMs, 2)} ms, ${fmtFixed(none.docBytes / 1024, 1)} kB), once per change per process`,
    );
    console.log("");
    const verdicts = [floorVerdict, unionVerdict, rlfVerdict, policyVerdict];
    for (const v of verdicts) printVerdict(v);
    return verdicts;
  } finally {
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
