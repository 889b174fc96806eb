import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { createRateLimiter, type RateLimitFailMode } from "../../src/rateLimit/index.js";
import { randomPrefix } from "#test-support/redis.js";
import { freePort } from "#test-support/ports.js";
import { startPrivateRedis, type PrivateRedis } from "#test-support/privateRedis.js";
import { rule } from "./support.js";

const rules = [rule({ name: "per-ip", key: "ip", limit: 10, windowMs: 60_000 })];
const request = { route: "POST /jobs/email", ip: "10.0.0.1" };

/** A client that fails fast instead of queueing while disconnected, as the API's request-path client does. */
function fastFailingClient(port: number): Redis {
  const client = new Redis({ host: "127.0.0.1", port, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 1000 });
  client.on("error", () => {}); // connection errors are expected here
  return client;
}

function limiter(redis: Redis, failMode: RateLimitFailMode) {
  return createRateLimiter({ redis, keyPrefix: randomPrefix(), rules, failMode, commandTimeoutMs: 200 });
}

describe("when nothing listens at the Redis address", () => {
  let client: Redis;
  beforeAll(async () => {
    client = fastFailingClient(await freePort());
  });
  afterAll(() => client.disconnect());

  it("fails open: admits, with failure set and no outcomes", async () => {
    const decision = await limiter(client, "open").check(request);
    expect(decision).toMatchObject({ allowed: true, failure: "error", outcomes: [], violated: [] });
    expect(decision.error).toBeInstanceOf(Error);
  });

  it("fails closed: does not admit, with failure set", async () => {
    const decision = await limiter(client, "closed").check(request);
    expect(decision).toMatchObject({ allowed: false, failure: "error", outcomes: [], violated: [] });
    expect(decision.reported).toBeUndefined();
  });
});

describe("when Redis stops answering, then dies", () => {
  let server: PrivateRedis;
  let client: Redis;
  beforeAll(async () => {
    server = await startPrivateRedis();
    client = fastFailingClient(server.port);
    if (client.status !== "ready") await once(client, "ready");
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  it("works while Redis answers", async () => {
    const decision = await limiter(client, "closed").check(request);
    expect(decision.allowed).toBe(true);
    expect(decision.failure).toBeUndefined();
    expect(decision.outcomes).toHaveLength(1);
  });

  it("resolves with failure 'timeout' when the reply does not come in time (open admits, closed denies)", async () => {
    process.kill(server.proc.pid, "SIGSTOP"); // connected, but silent
    const [open, closed] = await Promise.all([limiter(client, "open").check(request), limiter(client, "closed").check(request)]);
    expect(open).toMatchObject({ allowed: true, failure: "timeout", outcomes: [] });
    expect(closed).toMatchObject({ allowed: false, failure: "timeout", outcomes: [] });
  });

  it("resolves with failure set once the server was killed (SIGKILL)", async () => {
    await server.crash();
    const [open, closed] = await Promise.all([limiter(client, "open").check(request), limiter(client, "closed").check(request)]);
    expect(open.allowed).toBe(true);
    expect(open.failure).toMatch(/^(timeout|error)$/);
    expect(closed.allowed).toBe(false);
    expect(closed.failure).toMatch(/^(timeout|error)$/);
  });
});
