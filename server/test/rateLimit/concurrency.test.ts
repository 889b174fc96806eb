import { afterAll, describe, expect, it } from "vitest";
import { redisKeys, type RateLimitRule } from "@taskgate/shared";
import { createRateLimiter, rateLimitKeyPrefix, type RateLimiter } from "../../src/rateLimit/index.js";
import { connectTestRedis, type TestRedis } from "#test-support/redis.js";
import { rule } from "./support.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";

// Three connections and three limiters, as three API processes sharing one Redis.
const connections: TestRedis[] = [connectTestRedis(), connectTestRedis(), connectTestRedis()];
const admin = connections[0]!;
afterAll(() => Promise.all(connections.map((c) => c.quit())));

const prefix = prefixPerTest(admin);
/** The limiter's key builders (on a cluster its keys carry the `{rl}` hash tag). */
const rateLimitKeys = () => redisKeys(rateLimitKeyPrefix(prefix(), admin.isCluster));

function processes(rules: RateLimitRule[]): RateLimiter[] {
  return connections.map((redis) => createRateLimiter({ redis, keyPrefix: prefix(), rules, failMode: "closed", commandTimeoutMs: 10_000 }));
}

/** Fires `count` checks at once, spread round-robin over the limiters; returns how many passed. */
async function burst(limiters: RateLimiter[], count: number, request = { route: "POST /jobs/email", ip: "10.0.0.1", userId: "u1" }) {
  const decisions = await Promise.all(Array.from({ length: count }, (_, i) => limiters[i % limiters.length]!.check(request)));
  for (const decision of decisions) expect(decision.failure).toBeUndefined();
  return decisions.filter((d) => d.allowed).length;
}

describe("accuracy across API processes", () => {
  it("admits exactly 20 of 60 concurrent requests of one user against a 20-per-window rule", async () => {
    const limiters = processes([rule({ name: "per-user", key: "user", limit: 20, windowMs: 60_000 })]);
    expect(await burst(limiters, 60)).toBe(20);
    expect(await admin.zcard(rateLimitKeys().rateLimit("per-user", 60_000, "u1"))).toBe(20);
  });

  it("admits exactly 20 of 60 concurrent requests from different users against a global rule", async () => {
    const limiters = processes([rule({ name: "everyone", key: "global", limit: 20, windowMs: 60_000 })]);
    const decisions = await Promise.all(
      Array.from({ length: 60 }, (_, i) => limiters[i % 3]!.check({ route: "POST /jobs/email", ip: `10.0.0.${i}`, userId: `u${i}` })),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    expect(await admin.zcard(rateLimitKeys().rateLimit("everyone", 60_000, "global"))).toBe(20);
  });

  it("with several rules admits exactly the smallest limit and records denied requests in none of them", async () => {
    const limiters = processes([
      rule({ name: "per-user", key: "user", limit: 20, windowMs: 60_000 }),
      rule({ name: "everyone", key: "global", limit: 15, windowMs: 60_000 }),
      rule({ name: "per-ip", key: "ip", limit: 40, windowMs: 60_000 }),
    ]);
    expect(await burst(limiters, 60)).toBe(15);
    const keys = rateLimitKeys();
    expect(await admin.zcard(keys.rateLimit("per-user", 60_000, "u1"))).toBe(15);
    expect(await admin.zcard(keys.rateLimit("everyone", 60_000, "global"))).toBe(15);
    expect(await admin.zcard(keys.rateLimit("per-ip", 60_000, "10.0.0.1"))).toBe(15);
  });

  it("does not charge a looser rule for requests a tighter rule denied", async () => {
    const limiters = processes([
      rule({ name: "per-user", key: "user", limit: 5, windowMs: 60_000 }),
      rule({ name: "everyone", key: "global", limit: 1000, windowMs: 60_000 }),
    ]);
    expect(await burst(limiters, 30)).toBe(5);
    const check = await limiters[0]!.check({ route: "GET /x", ip: "10.0.0.9", userId: "u2" });
    expect(check.allowed).toBe(true);
    expect(check.outcomes.find((o) => o.name === "everyone")?.remaining).toBe(1000 - 6);
  });
});
