import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cluster, Redis } from "ioredis";
import { createRateLimiter, rateLimitKeyPrefix, readBlocked, recordBlocked } from "../../src/rateLimit/index.js";
import { startPrivateRedis, type PrivateRedis } from "#test-support/privateRedis.js";
import { sleep } from "#test-support/time.js";
import { rule } from "./support.js";
import { BLOCKED_LOG_DEFAULTS, LIMITER_DEFAULTS } from "./configDefaults.js";

// A one-node Redis Cluster still refuses scripts whose keys span hash slots (CROSSSLOT), which
// is what a request's rules (ip, user, global) would do without a hash tag.
describe("under Redis Cluster", () => {
  let server: PrivateRedis;
  let cluster: Cluster;
  beforeAll(async () => {
    server = await startPrivateRedis({ args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-announce-ip", "127.0.0.1"] });
    const setup = new Redis({ host: "127.0.0.1", port: server.port });
    try {
      await setup.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
      for (let i = 0; !String(await setup.call("CLUSTER", "INFO")).includes("cluster_state:ok"); i++) {
        if (i > 100) throw new Error("cluster did not become ok");
        await sleep(50);
      }
    } finally {
      await setup.quit();
    }
    cluster = new Cluster([{ host: "127.0.0.1", port: server.port }]);
    await cluster.ping();
  });
  afterAll(async () => {
    await cluster?.quit().catch(() => {});
    await server?.stop();
  });

  it("puts the limiter's keys under one hash tag unless the prefix has one", () => {
    expect(rateLimitKeyPrefix("tg", true)).toBe("tg:{rl}");
    expect(rateLimitKeyPrefix("{tg}", true)).toBe("{tg}");
    expect(rateLimitKeyPrefix("tg", false)).toBe("tg");
  });

  it("checks ip, user and global rules of one request in one script", async () => {
    const limiter = createRateLimiter({
      ...LIMITER_DEFAULTS,
      redis: cluster,
      keyPrefix: "tg",
      failMode: "closed",
      rules: [
        rule({ name: "per-ip", key: "ip", limit: 5, windowMs: 60_000 }),
        rule({ name: "per-user", key: "user", limit: 2, windowMs: 60_000 }),
        rule({ name: "everyone", key: "global", limit: 100, windowMs: 60_000 }),
      ],
    });
    const request = { route: "POST /jobs/email", ip: "10.0.0.1", userId: "u1" };
    const decisions = [await limiter.check(request), await limiter.check(request), await limiter.check(request)];
    for (const decision of decisions) expect(decision.failure).toBeUndefined();
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(decisions[2]?.reported?.name).toBe("per-user");
    expect(await cluster.zcard("tg:{rl}:rl:everyone:60000:global")).toBe(2);
  });

  it("records and reads the blocked log although its keys live in different slots", async () => {
    await recordBlocked(cluster, "tg", {
      at: Date.now(),
      requestId: "r1",
      ip: "10.0.0.1",
      route: "POST /jobs/email",
      rule: "per-user",
      limit: 2,
      windowMs: 60_000,
      retryAfterMs: 1000,
    }, BLOCKED_LOG_DEFAULTS);
    expect((await readBlocked(cluster, "tg")).map((e) => e.requestId)).toEqual(["r1"]);
  });
});
