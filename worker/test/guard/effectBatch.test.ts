/**
 * `effectBatch-n.lua` must do exactly what the single-operation scripts do: the same sequences
 * of claims and done marks run through it (one call per step) and through `effectClaim` /
 * `effectDone` (one call per operation), on twin records, give the same replies and leave the
 * same records. Queue `{batch}` is a hash tag, so every key of a call shares one slot and the
 * script also runs on the cluster pass.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Cluster, Redis } from "ioredis";
import { redisKeys } from "@taskgate/shared";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { commandsSent, connectTestRedis, deletePrefix, randomPrefix, type TestRedis } from "#test-support/redis.js";
import { createEffectGuard, effectGuardScripts, type EffectGuardCommands } from "../../src/guard/index.js";
import { GUARD_TIMES, waitForLeaseExpiry } from "./helpers.js";

const QUEUE = "{batch}";
const TTL_MS = 60_000;
/**
 * Lease of the sequences that let a lease run out: short, so the wait is short, but long enough
 * that the next lease stays live across the few single calls of a step on a busy machine.
 */
const SHORT_LEASE_MS = 1_000;

type Op = { op: "claim"; job: string; owner: string } | { op: "done"; job: string; owner: string; result: string };
/** One call of the batch script (its operations in order), a lease running out, or a raw write. */
type Step = Op[] | { expire: string } | { hset: string; fields: Record<string, string> };

const claim = (job: string, owner: string): Op => ({ op: "claim", job, owner });
const done = (job: string, owner: string, result: string): Op => ({ op: "done", job, owner, result });

/** What one world (single calls or batch calls) answered and stored. */
interface Outcome {
  replies: unknown[];
  records: Record<string, { fields: Record<string, string>; ttl: string }>;
}

describe("effectBatch-n.lua matches the single-operation scripts", () => {
  let redis: TestRedis;
  let commands: EffectGuardCommands;
  let prefixes: string[];

  beforeAll(() => {
    redis = connectTestRedis();
    defineLuaCommands(redis, effectGuardScripts);
    commands = redis as unknown as EffectGuardCommands;
  });
  afterAll(async () => {
    await redis.quit();
  });
  beforeEach(() => {
    prefixes = [];
  });
  afterEach(async () => {
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
  });

  async function redisNowMs(): Promise<number> {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /**
   * Runs the steps in a fresh prefix, `batched` or one call per operation. Replies that depend on
   * the clock are checked against the Redis clock around their call and then replaced by a
   * marker: busy's retryAfterMs (0 < it <= leaseMs) and each record's leaseUntil (now + leaseMs,
   * now being read during the call).
   */
  async function play(steps: Step[], leaseMs: number, batched: boolean): Promise<Outcome> {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const key = (job: string) => redisKeys(prefix).effect(QUEUE, job);
    const replies: unknown[] = [];
    const leaseWindows = new Map<string, [number, number]>();
    for (const step of steps) {
      if ("expire" in step) {
        await waitForLeaseExpiry(redis, prefix, QUEUE, step.expire);
        continue;
      }
      if ("hset" in step) {
        await redis.hset(key(step.hset), step.fields);
        continue;
      }
      const before = await redisNowMs();
      let stepReplies: unknown[];
      if (batched) {
        const args: (string | number)[] = [step.length, ...step.map((op) => key(op.job)), leaseMs, TTL_MS];
        for (const op of step) args.push(op.op, op.owner, op.op === "done" ? op.result : "");
        stepReplies = await commands.effectBatch(...args);
      } else {
        stepReplies = [];
        for (const op of step) {
          stepReplies.push(op.op === "claim" ? await commands.effectClaim(key(op.job), op.owner, leaseMs, TTL_MS) : await commands.effectDone(key(op.job), op.owner, op.result, TTL_MS));
        }
      }
      const after = await redisNowMs();
      step.forEach((op, i) => {
        const reply = stepReplies[i];
        // Only a claim that got the record writes a lease.
        if (op.op === "claim" && Array.isArray(reply) && (reply[0] === "claimed" || reply[0] === "reclaimed")) leaseWindows.set(op.job, [before + leaseMs, after + leaseMs]);
      });
      for (const reply of stepReplies) {
        if (Array.isArray(reply) && reply[0] === "busy") {
          expect(reply[1]).toBeGreaterThan(0);
          expect(reply[1]).toBeLessThanOrEqual(leaseMs);
          replies.push(["busy", "<live lease>"]);
        } else replies.push(reply);
      }
    }
    const records: Outcome["records"] = {};
    const jobs = new Set(steps.flatMap((step) => (Array.isArray(step) ? step.map((op) => op.job) : "expire" in step ? [step.expire] : [step.hset])));
    for (const job of jobs) {
      const fields = await redis.hgetall(key(job));
      if (fields.leaseUntil !== undefined) {
        const [low, high] = leaseWindows.get(job)!;
        expect(Number(fields.leaseUntil), `${job} leaseUntil`).toBeGreaterThanOrEqual(low);
        expect(Number(fields.leaseUntil), `${job} leaseUntil`).toBeLessThanOrEqual(high);
        fields.leaseUntil = "<now + leaseMs>";
      }
      const ttl = await redis.pttl(key(job));
      records[job] = { fields, ttl: ttl > 0 && ttl <= TTL_MS ? "<ttlMs>" : String(ttl) };
    }
    return { replies, records };
  }

  /** Plays the steps both ways and expects the same outcome; returns it for further checks. */
  async function expectSame(steps: Step[], leaseMs = 30_000): Promise<Outcome> {
    const single = await play(steps, leaseMs, false);
    const batched = await play(steps, leaseMs, true);
    expect(batched).toEqual(single);
    return batched;
  }

  it("claims a fresh record, marks it done, and a later claim finds it done, one call per step or all in one", async () => {
    const stepwise = await expectSame([[claim("j1", "a")], [done("j1", "a", '{"messageId":"<m1>"}')], [claim("j1", "b")]]);
    expect(stepwise.replies).toEqual([["claimed", 1], 1, ["done", '{"messageId":"<m1>"}']]);
    expect(stepwise.records.j1).toEqual({ fields: { state: "done", owner: "a", claims: "1", result: '{"messageId":"<m1>"}' }, ttl: "<ttlMs>" });

    const oneCall = await expectSame([[claim("j1", "a"), done("j1", "a", '"sent"'), claim("j1", "b")]]);
    expect(oneCall.replies).toEqual([["claimed", 1], 1, ["done", '"sent"']]);
  });

  it("answers busy to a second owner while the lease is live, and changes nothing", async () => {
    const outcome = await expectSame([[claim("j1", "a"), claim("j1", "b")], [claim("j1", "c")]]);
    expect(outcome.replies).toEqual([["claimed", 1], ["busy", "<live lease>"], ["busy", "<live lease>"]]);
    expect(outcome.records.j1?.fields).toMatchObject({ state: "claimed", owner: "a", claims: "1" });
  });

  it("lets the same owner claim again (re-entrant), with a live or an expired lease", async () => {
    const live = await expectSame([[claim("j1", "a"), claim("j1", "a")], [claim("j1", "a")]]);
    expect(live.replies).toEqual([["claimed", 1], ["claimed", 1], ["claimed", 1]]);

    const expired = await expectSame([[claim("j1", "a")], { expire: "j1" }, [claim("j1", "a"), claim("j1", "b")]], SHORT_LEASE_MS);
    expect(expired.replies).toEqual([["claimed", 1], ["claimed", 1], ["busy", "<live lease>"]]);
  });

  it("reclaims after the lease ran out, then takes the stale owner's done mark and refuses the new holder's", async () => {
    const outcome = await expectSame(
      [[claim("j1", "a")], { expire: "j1" }, [claim("j1", "b"), claim("j1", "c"), done("j1", "a", '"by a"'), done("j1", "b", '"by b"'), claim("j1", "d")]],
      SHORT_LEASE_MS,
    );
    expect(outcome.replies).toEqual([["claimed", 1], ["reclaimed", 2], ["busy", "<live lease>"], 1, 0, ["done", '"by a"']]);
    expect(outcome.records.j1).toEqual({ fields: { state: "done", owner: "a", claims: "2", result: '"by a"' }, ttl: "<ttlMs>" });
  });

  it("keeps the first owner's done mark against another owner's, and repeats it for the same owner", async () => {
    const outcome = await expectSame([[done("j1", "a", "1"), done("j1", "b", "2")], [done("j1", "a", "3"), claim("j1", "c")]]);
    expect(outcome.replies).toEqual([1, 0, 1, ["done", "1"]]);
    // A done mark on no record creates one without a claim count.
    expect(outcome.records.j1).toEqual({ fields: { state: "done", owner: "a", result: "1" }, ttl: "<ttlMs>" });
  });

  it("takes the done mark of an owner whose lease ran out with nobody taking over", async () => {
    const outcome = await expectSame([[claim("j1", "a")], { expire: "j1" }, [done("j1", "a", '"late"'), claim("j1", "b")]], SHORT_LEASE_MS);
    expect(outcome.replies).toEqual([["claimed", 1], 1, ["done", '"late"']]);
  });

  it("starts torn records afresh, as the claim script does", async () => {
    const outcome = await expectSame([
      { hset: "j1", fields: { owner: "x", claims: "5" } },
      { hset: "j2", fields: { state: "claimed", claims: "3" } },
      [claim("j1", "a"), claim("j2", "b")],
    ]);
    expect(outcome.replies).toEqual([["claimed", 1], ["claimed", 1]]);
    expect(outcome.records.j2?.fields).toEqual({ state: "claimed", owner: "b", leaseUntil: "<now + leaseMs>", claims: "1" });
  });

  it("keeps every record apart in a call of many jobs, claims and done marks interleaved", async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => `j${i}`);
    const outcome = await expectSame([
      jobs.map((job) => claim(job, `run-${job}`)),
      jobs.flatMap((job, i) => (i % 3 === 0 ? [done(job, `run-${job}`, `"${job}"`)] : i % 3 === 1 ? [claim(job, "other")] : [done(job, "other", "0"), claim(job, "third")])),
    ]);
    expect(outcome.replies.slice(0, 12)).toEqual(jobs.map(() => ["claimed", 1]));
  });

  it("refuses an unknown operation before writing anything", async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const keys = [redisKeys(prefix).effect(QUEUE, "j1"), redisKeys(prefix).effect(QUEUE, "j2")];
    await expect(commands.effectBatch(2, ...keys, 30_000, TTL_MS, "claim", "a", "", "renew", "a", "")).rejects.toThrow(/not claim or done/);
    expect(await redis.exists(...keys)).toBe(0);
  });
});

describe("effect guard batching", () => {
  const redis = connectTestRedis();
  afterAll(() => redis.quit());
  const prefixOf = prefixPerTest(redis);

  it("sends the claims and done marks of one turn as one call on a single Redis, and one call each on a Cluster", async () => {
    const guard = createEffectGuard({ redis, keyPrefix: prefixOf(), ...GUARD_TIMES });
    const jobs = Array.from({ length: 10 }, (_, i) => `job-${i}`);
    // Warm-up: the first call of a script may need EVAL after NOSCRIPT.
    await Promise.all([guard.claim("email", "warm-1", "w"), guard.claim("email", "warm-2", "w")]);

    const claims = await commandsSent(redis, () => Promise.all(jobs.map((job) => guard.claim("email", job, `run-${job}`))));
    const dones = await commandsSent(redis, () => Promise.all(jobs.map((job) => guard.markDone("email", job, `run-${job}`, { job }))));
    if (redis instanceof Cluster) {
      expect(claims.names).toHaveLength(jobs.length);
      expect(dones.names).toHaveLength(jobs.length);
    } else {
      expect(claims).toEqual({ names: ["evalsha"], roundTrips: 1 });
      expect(dones).toEqual({ names: ["evalsha"], roundTrips: 1 });
    }
    // Each job got its own reply.
    const again = await Promise.all(jobs.map((job) => guard.claim("email", job, "late")));
    expect(again).toEqual(jobs.map((job) => ({ kind: "done", result: { job } })));
  });

  it("fails every operation of a failed batch call with the error each single call gets", async () => {
    // A real client that is never connected and queues nothing: every command fails at once.
    // A plain client in the cluster pass too, since a Cluster client never batches.
    const offline = new Redis({ host: "127.0.0.1", port: 1, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    offline.on("error", () => undefined);
    try {
      const single = createEffectGuard({ redis: offline, keyPrefix: prefixOf(), ...GUARD_TIMES, batch: false });
      const batched = createEffectGuard({ redis: offline, keyPrefix: prefixOf(), ...GUARD_TIMES });
      const operations = (guard: typeof single) => [guard.claim("email", "j1", "a"), guard.claim("email", "j2", "b"), guard.markDone("email", "j3", "c", "sent")];
      const messages = async (guard: typeof single) => (await Promise.allSettled(operations(guard))).map((settled) => (settled.status === "rejected" ? String((settled.reason as Error).message) : "resolved"));

      const fromSingle = await messages(single);
      expect(fromSingle.every((message) => message !== "resolved")).toBe(true);
      expect(await messages(batched)).toEqual(fromSingle);
    } finally {
      offline.disconnect();
    }
  });
});
