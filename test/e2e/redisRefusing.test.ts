/**
 * Redis refusing work (OOM under `noeviction`, READONLY, LOADING, …) is not a bug: every
 * procedure answers 503 UNAVAILABLE with Retry-After, `/health` says `redis: "refusing-writes"`
 * without driver text, and everything recovers once Redis has room again. Runs against a private
 * Redis with a small `maxmemory`, filled by the test itself.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisFailureOf } from "../../server/src/redis/failures.js";
import { startStack, type TestStack } from "#test-support/stack.js";
import { startPrivateRedis, type PrivateRedis } from "#test-support/privateRedis.js";
import { pollUntil, sleep } from "#test-support/time.js";

const MAXMEMORY = 16 * 1024 * 1024;
const FILLER = "filler";
// What must never reach an unauthenticated caller: driver words, hosts, ports, paths.
const DRIVER_TEXT = /OOM|maxmemory|ReplyError|\d+\.\d+\.\d+\.\d+|:\d{2,5}|ECONN|\/[a-z]/i;

let redis: PrivateRedis;
let direct: Redis;
let stack: TestStack;
/** A second API on the same Redis whose limiter fails closed. */
let closed: TestStack;

beforeAll(async () => {
  redis = await startPrivateRedis();
  direct = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  // The same as starting it with `--maxmemory 16mb --maxmemory-policy noeviction`; the helper
  // already sets the policy and stops the server by pid.
  await direct.config("SET", "maxmemory", String(MAXMEMORY));
  // No counter flushes, so the command count below sees health checks only.
  stack = await startStack({ worker: false, env: { REDIS_URL: redis.url, METRICS_FLUSH_MS: "60000" } });
  closed = await startStack({ worker: false, env: { REDIS_URL: redis.url, METRICS_FLUSH_MS: "60000", RATE_LIMIT_FAIL_MODE: "closed" } });
});

afterAll(async () => {
  await Promise.all([stack?.close(), closed?.close()]);
  direct?.disconnect();
  await redis?.stop();
});

const email = { to: "someone@example.com", subject: "while full", text: "x" };

/**
 * Puts Redis 2 MB past its maxmemory with one big key, written by a script flagged `allow-oom`
 * (plain writes stop at the limit, which leaves no margin: the next small write might still fit).
 */
async function fillUntilRefused(): Promise<void> {
  const used = Number(/used_memory:(\d+)/.exec(await direct.info("memory"))![1]);
  const size = MAXMEMORY - used + 2 * 1024 * 1024;
  await direct.eval("#!lua flags=allow-oom\nredis.call('SET', KEYS[1], string.rep('x', tonumber(ARGV[1])))\nreturn 1", 1, FILLER, size);
  await expect(direct.set(`${FILLER}probe`, "1")).rejects.toThrow(/^OOM/);
}

async function freeMemory(): Promise<void> {
  await direct.del(FILLER);
}

/** Calls summed over every command but INFO, from the private Redis's own statistics. */
async function commandCalls(): Promise<number> {
  const stats = await direct.info("commandstats");
  let total = 0;
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (match[1] !== "info") total += Number(match[2]);
  return total;
}

async function trpcCreate(): Promise<Response> {
  return fetch(`${stack.url}/trpc/jobs.email.create`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ json: email }) });
}

describe("Redis refusing writes", () => {
  it("answers 503 UNAVAILABLE with Retry-After everywhere, reports refusing-writes without driver text, and recovers when memory frees", async () => {
    const created = await stack.request("POST", "/jobs/email", { body: email });
    expect(created.status).toBe(202);
    const { jobId } = (await created.json()) as { jobId: string };

    await fillUntilRefused();
    try {
      const post = await stack.request("POST", "/jobs/email", { body: email });
      expect(post.status).toBe(503);
      expect(post.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(post.headers.get("content-type")).toMatch(/application\/problem\+json/);
      const problem = (await post.json()) as { code: string; detail: string };
      expect(problem.code).toBe("UNAVAILABLE");
      expect(problem.detail).not.toMatch(DRIVER_TEXT);

      const withKey = await stack.request("POST", "/jobs/email", { body: email, headers: { "idempotency-key": "full-1" } });
      expect(withKey.status).toBe(503);
      expect(withKey.headers.get("retry-after")).toMatch(/^\d+$/);

      const status = await stack.request("GET", `/jobs/status/email/${jobId}`);
      // A read too: at maxmemory Redis rejects every command queued in a MULTI, and BullMQ reads a
      // job's log in one (EXECABORT), so the honest answer is "try again", not a 500.
      expect(status.status).toBe(503);
      expect(status.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(((await status.json()) as { code: string }).code).toBe("UNAVAILABLE");

      // The limiter's own script is refused too (it must record the request), which counts as
      // Redis failing: fail-open admits, so what needs no write is still served (an unknown
      // job is looked up with a read-only script: 404)…
      expect((await stack.request("GET", "/jobs/status/email/no-such-job")).status).toBe(404);
      // …and fail-closed answers 503 with Retry-After, as it does while Redis is down.
      const denied = await closed.request("GET", "/jobs/status/email/no-such-job");
      expect(denied.status).toBe(503);
      expect(denied.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(((await denied.json()) as { code: string }).code).toBe("UNAVAILABLE");

      const trpc = await trpcCreate();
      expect(trpc.status).toBe(503);
      expect(trpc.headers.get("retry-after")).toMatch(/^\d+$/);
      const trpcBody = (await trpc.json()) as { error: { json: { data: { problem: { code: string; detail: string } } } } };
      expect(trpcBody.error.json.data.problem.code).toBe("UNAVAILABLE");
      expect(trpcBody.error.json.data.problem.detail).not.toMatch(DRIVER_TEXT);

      // Health may still hold a result from before the fill for up to a second.
      await pollUntil(
        async () => (await stack.request("GET", "/health")).status,
        (code) => code === 503,
        5000,
      );
      const health = await stack.request("GET", "/health");
      expect(health.status).toBe(503);
      const body = (await health.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: "unavailable", redis: "refusing-writes", draining: false });
      for (const value of Object.values(body)) if (typeof value === "string") expect(value).not.toMatch(DRIVER_TEXT);
    } finally {
      await freeMemory();
    }

    await pollUntil(
      async () => (await stack.request("GET", "/health")).status,
      (code) => code === 200,
      5000,
    );
    expect(await (await stack.request("GET", "/health")).json()).toMatchObject({ status: "ok", redis: "up" });
    expect((await stack.request("POST", "/jobs/email", { body: email })).status).toBe(202);
    expect((await trpcCreate()).status).toBe(200);
    expect((await stack.request("GET", `/jobs/status/email/${jobId}`)).status).toBe(200);
  });

  it("checks Redis at most once per second however many health calls come in, batched or concurrent", async () => {
    // Let any earlier result age past the second, so the calls below need exactly one fresh check.
    await sleep(1100);
    const before = await commandCalls();
    const started = Date.now();
    const batch = `${stack.url}/trpc/${Array.from({ length: 5 }, () => "health.get").join(",")}?batch=1&input=${encodeURIComponent("{}")}`;
    // Ten health.get calls: five in one tRPC batch, five concurrent REST requests.
    const answers = await Promise.all([fetch(batch), ...Array.from({ length: 5 }, () => stack.request("GET", "/health"))]);
    const elapsed = Date.now() - started;
    const after = await commandCalls();
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200, 200]);
    // One probe for all ten (the first call finds the result stale); a machine slow enough to
    // spread the calls over more than a second may start one more per second, never one per call.
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(after - before).toBeLessThanOrEqual(Math.floor(elapsed / 1000) + 1);
  });
});

describe("which Redis errors mean Redis refuses work", () => {
  const reply = (message: string) => Object.assign(new Error(message), { name: "ReplyError" });

  it.each([
    ["OOM command not allowed when used memory > 'maxmemory'.", "refusing"],
    ["READONLY You can't write against a read only replica.", "refusing"],
    ["LOADING Redis is loading the dataset in memory", "refusing"],
    ["BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.", "refusing"],
    ["CLUSTERDOWN The cluster is down", "refusing"],
    ["TRYAGAIN Multiple keys request during rehashing of slot", "refusing"],
    ["MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", "refusing"],
    ["MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.", "refusing"],
    ["NOREPLICAS Not enough good replicas to write.", "refusing"],
    ["MOVED 3999 127.0.0.1:6381", "refusing"],
    ["ERR Error running script (call to f_1): @user_script:12: -OOM command not allowed when used memory > 'maxmemory'.", "refusing"],
    ["Connection is closed.", "down"],
    ["Command timed out", "down"],
    ["Stream isn't writeable and enableOfflineQueue options is false", "down"],
    ["connect ECONNREFUSED 127.0.0.1:6379", "down"],
  ])("%s → %s", (message, kind) => {
    expect(redisFailureOf(reply(message))).toBe(kind);
  });

  it("reads an EXECABORT by the commands it rejected: OOM is a refusal, a malformed command a bug", () => {
    const abort = (...previousErrors: Error[]) => Object.assign(reply("EXECABORT Transaction discarded because of previous errors."), { previousErrors });
    expect(redisFailureOf(abort(reply("OOM command not allowed when used memory > 'maxmemory'.")))).toBe("refusing");
    expect(redisFailureOf(abort())).toBe("refusing");
    expect(redisFailureOf(abort(reply("ERR wrong number of arguments for 'lrange' command")))).toBeUndefined();
  });

  it.each(["BUSYKEY Target key name already exists.", "ERR wrong number of arguments for 'set' command", "WRONGTYPE Operation against a key holding the wrong kind of value", "error loading the template"])(
    "%s is a bug, not Redis refusing",
    (message) => {
      expect(redisFailureOf(reply(message))).toBeUndefined();
    },
  );
});
