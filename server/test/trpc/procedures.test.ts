/**
 * The procedure builders (trpc/procedures.ts), called through `createCaller` with a plain
 * context — no HTTP — against a real Redis: access control, the rate limit charged under the
 * route a procedure's meta declares, and idempotent mutations whose replays are answered by the
 * builder (resolver not called, not charged).
 */
import pino from "pino";
import { z } from "zod";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig, type Caller } from "@taskgate/shared";
import { toAppError, toProblem } from "../../src/errors/problem.js";
import { createIdempotencyStore } from "../../src/idempotency/index.js";
import { createRateLimiter } from "../../src/rateLimit/index.js";
import type { RequestContext } from "../../src/requestContext.js";
import type { ServerDeps } from "../../src/serverDeps.js";
import { router, t } from "../../src/trpc/init.js";
import { createProcedures } from "../../src/trpc/procedures.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis } from "#test-support/redis.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());
const prefix = prefixPerTest(redis);

const USER: Caller = { userId: "u-1", apiKey: "key-1", admin: false, tier: "free" } as Caller;
const ADMIN: Caller = { ...USER, userId: "admin-1", admin: true };

/** A plain context as the HTTP layer would build it; the headers set land in `headers`. */
function contextFor(caller: Caller | null, idempotencyKey?: string): RequestContext & { headers: Map<string, string> } {
  const headers = new Map<string, string>();
  return { requestId: "r-1", ip: "198.51.100.7", caller, badKey: false, openMode: false, idempotencyKey, headers, setHeader: (name, value) => headers.set(name, value) };
}

/** The builders over real Redis, with rules scoped to the test's routes. */
function buildersWith(rules: unknown[]) {
  const config = parseConfig({ KEY_PREFIX: prefix(), RATE_LIMIT_RULES: JSON.stringify(rules) });
  const logger = pino({ level: "silent" });
  const deps = {
    config,
    redis,
    queueRedis: redis,
    logger,
    limiter: createRateLimiter({ redis, keyPrefix: config.keyPrefix, rules: config.rateLimitRules, failMode: config.rateLimitFailMode, commandTimeoutMs: config.redisCommandTimeoutMs }),
    idempotency: createIdempotencyStore({ redis, keyPrefix: config.keyPrefix, ttlMs: config.idempotencyTtlMs, leaseMs: config.idempotencyLeaseMs }),
    metrics: { observeRateLimit: () => undefined, observeIdempotency: () => undefined },
  } as unknown as ServerDeps;
  return createProcedures(deps);
}

/** The public code and status of what a call throws (as the HTTP layer would answer it). */
async function problemOf(call: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await call;
  } catch (error) {
    const { code, status } = toProblem(toAppError(error), "r-1");
    return { code, status };
  }
  throw new Error("the call succeeded");
}

describe("procedure builders through createCaller", () => {
  it("refuses callers by access level before touching the limiter", async () => {
    const p = buildersWith([{ name: "any", key: "ip", limit: 1, windowMs: 60_000 }]);
    const app = router({ adminOnly: p.admin.query(() => "secret"), userRead: p.limited.query(() => "mine") });
    const callerFor = t.createCallerFactory(app);
    expect(await problemOf(callerFor(contextFor(null)).userRead())).toEqual({ code: "UNAUTHORIZED", status: 401 });
    expect(await problemOf(callerFor(contextFor(USER)).adminOnly())).toEqual({ code: "FORBIDDEN", status: 403 });
    // Neither refusal was charged: the one request the ip rule allows is still there.
    expect(await callerFor(contextFor(ADMIN)).adminOnly()).toBe("secret");
    expect(await problemOf(callerFor(contextFor(ADMIN)).adminOnly())).toEqual({ code: "RATE_LIMITED", status: 429 });
  });

  it("charges a call under the route its meta declares; one without a REST alias is not that route", async () => {
    const p = buildersWith([{ name: "things", key: "ip", limit: 1, windowMs: 60_000, routes: ["POST /things"] }]);
    const app = router({
      things: p.limited.meta({ rest: { method: "POST", path: "/things" } }).mutation(() => "made"),
      bare: p.limited.query(() => "read"),
    });
    const ctx = contextFor(USER);
    const caller = t.createCallerFactory(app)(ctx);
    expect(await caller.things()).toBe("made");
    expect(ctx.headers.get("RateLimit")).toMatch(/"things";r=0;t=\d+/);
    expect(await problemOf(caller.things())).toEqual({ code: "RATE_LIMITED", status: 429 });
    // `bare` counts as `TRPC bare`, which the rule does not name: never refused, no RateLimit item.
    const bareContext = contextFor(USER);
    const bare = t.createCallerFactory(app)(bareContext);
    for (let i = 0; i < 3; i++) expect(await bare.bare()).toBe("read");
    expect(bareContext.headers.get("RateLimit")).toBeUndefined();
  });

  it("answers a replay of an idempotent mutation itself: the resolver runs once and the replay is not charged", async () => {
    const p = buildersWith([{ name: "makes", key: "user", limit: 1, windowMs: 60_000, routes: ["POST /makes"] }]);
    let calls = 0;
    const app = router({
      make: p.idempotentMutation(z.object({ n: z.number() }), { rest: { method: "POST", path: "/makes" } }, async ({ input, ctx }) => {
        calls += 1;
        return { made: input.n, jobId: ctx.derivedJobId };
      }),
    });
    const callerFor = t.createCallerFactory(app);
    const first = await callerFor(contextFor(USER, "key-a")).make({ n: 7 });
    const replayContext = contextFor(USER, "key-a");
    const replay = await callerFor(replayContext).make({ n: 7 });
    expect(replay).toEqual(first);
    expect(first.jobId).toEqual(expect.any(String));
    expect(calls).toBe(1);
    expect(replayContext.headers.get("Idempotent-Replayed")).toBe("true");
    // The limit of 1 was spent by the first call only: a new key is the second charge, refused.
    expect(await problemOf(callerFor(contextFor(USER, "key-b")).make({ n: 8 }))).toEqual({ code: "RATE_LIMITED", status: 429 });
    // The same key with another body is a misuse, not a replay: charged like any other call, so
    // over the spent limit it is the 429 (under it, the 422: test/e2e/idempotency.test.ts).
    expect(await problemOf(callerFor(contextFor(USER, "key-a")).make({ n: 9 }))).toEqual({ code: "RATE_LIMITED", status: 429 });
    expect(calls).toBe(1);
  });
});
