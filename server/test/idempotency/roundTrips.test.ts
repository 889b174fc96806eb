import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Command } from "ioredis";
import { CONFIG_DEFAULTS } from "@taskgate/shared";
import { createIdempotencyStore, fingerprint } from "../../src/idempotency/index.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis, type TestRedis } from "#test-support/redis.js";

describe("idempotency store round trips", () => {
  let redis: TestRedis;
  const prefix = prefixPerTest();
  let sent: string[];

  beforeEach(async () => {
    redis = connectTestRedis();
    await redis.ping(); // connection and ready check done before counting starts
    sent = [];
    // Every command the client writes goes through sendCommand, including the EVAL that
    // ioredis resends after a NOSCRIPT, so this counts real round trips.
    const original = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: Command, ...rest: unknown[]) => {
      sent.push(command.name);
      return (original as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof redis.sendCommand;
  });

  afterEach(async () => {
    await redis.quit();
  });

  const countCommands = async (call: () => Promise<unknown>): Promise<string[]> => {
    sent = [];
    await call();
    return sent;
  };

  it("sends exactly one command per claim, complete and release, whatever the outcome", async () => {
    const store = createIdempotencyStore({ redis, keyPrefix: prefix(), ttlMs: CONFIG_DEFAULTS.idempotencyTtlMs, leaseMs: CONFIG_DEFAULTS.idempotencyLeaseMs });
    const ref = { scope: "user-a", route: "POST /jobs/email", key: "k1" };
    const fp = fingerprint({ subject: "Hi" });
    let token = "";

    const counts = [
      await countCommands(async () => {
        const outcome = await store.claim({ ...ref, fingerprint: fp });
        if (outcome.kind === "claimed") token = outcome.token;
      }),
      await countCommands(() => store.claim({ ...ref, fingerprint: fp })), // in_use
      await countCommands(() => store.claim({ ...ref, fingerprint: "other" })), // mismatch
      await countCommands(() => store.release({ ...ref, token })),
      await countCommands(async () => {
        const outcome = await store.claim({ ...ref, fingerprint: fp });
        if (outcome.kind === "claimed") token = outcome.token;
      }),
      await countCommands(() => store.complete({ ...ref, token, status: 202, body: "{}" })),
      await countCommands(() => store.claim({ ...ref, fingerprint: fp })), // replay
    ];
    expect(token).not.toBe("");
    for (const commands of counts) {
      expect(commands).toHaveLength(1);
      expect(["eval", "evalsha"]).toContain(commands[0]);
    }
  });
});
