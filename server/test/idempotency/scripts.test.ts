import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { idempotencyRecordKey, idempotencyScripts, type IdempotencyCommands } from "../../src/idempotency/index.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis, type TestRedis } from "#test-support/redis.js";

describe("idempotency Lua scripts", () => {
  let redis: TestRedis;
  const prefix = prefixPerTest();

  beforeEach(() => {
    redis = connectTestRedis();
  });

  afterEach(async () => {
    await redis.quit();
  });

  it("are one file per operation, each with its key count in the name", () => {
    expect(idempotencyScripts.map((s) => [s.name, s.numberOfKeys])).toEqual([
      ["idempotencyClaim", 1],
      ["idempotencyComplete", 1],
      ["idempotencyRelease", 1],
    ]);
  });

  it("each loads into Redis with SCRIPT LOAD under its SHA-1", async () => {
    for (const script of idempotencyScripts) {
      const sha = await redis.script("LOAD", script.lua);
      expect(sha).toBe(createHash("sha1").update(script.lua).digest("hex"));
    }
  });

  it("each runs through defineCommand and answers in the shape its header documents", async () => {
    defineLuaCommands(redis, idempotencyScripts);
    const commands = redis as unknown as IdempotencyCommands;
    const key = idempotencyRecordKey(prefix(), "user-a", "POST /jobs/email", "k1");
    const recordId = "0".repeat(32);

    expect(await commands.idempotencyClaim(key, "fp", recordId, "t1", 30_000, 60_000)).toEqual(["claimed", recordId]);
    const inUse = await commands.idempotencyClaim(key, "fp", "1".repeat(32), "t2", 30_000, 60_000);
    expect(inUse[0]).toBe("in_use");
    expect(inUse[1]).toBeGreaterThan(0);
    expect(await commands.idempotencyClaim(key, "other", "1".repeat(32), "t2", 30_000, 60_000)).toEqual(["mismatch"]);
    expect(await commands.idempotencyRelease(key, "wrong-token", "keep")).toBe(0);
    expect(await commands.idempotencyComplete(key, "wrong-token", 202, "{}", 60_000)).toBe(0);
    expect(await commands.idempotencyComplete(key, "t1", 202, '{"jobId":"x"}', 60_000)).toBe(1);
    expect(await commands.idempotencyClaim(key, "fp", "1".repeat(32), "t3", 30_000, 60_000)).toEqual([
      "replay",
      202,
      '{"jobId":"x"}',
    ]);
    // Once done, the record has no owner any more: neither token can release it.
    expect(await commands.idempotencyRelease(key, "t1", "forget")).toBe(0);
    expect(await redis.exists(key)).toBe(1);
  });

  it("starts a torn record (fields but no state or record id) afresh, with none of its old fields", async () => {
    defineLuaCommands(redis, idempotencyScripts);
    const commands = redis as unknown as IdempotencyCommands;
    const key = idempotencyRecordKey(prefix(), "user-a", "POST /jobs/email", "torn");
    await redis.hset(key, "body", '{"stale":true}', "status", "202", "token", "old");
    const recordId = "2".repeat(32);
    expect(await commands.idempotencyClaim(key, "fp", recordId, "t1", 30_000, 60_000)).toEqual(["claimed", recordId]);
    const fields = await redis.hgetall(key);
    expect(Object.keys(fields).sort()).toEqual(["fingerprint", "leaseUntil", "recordId", "state", "token"]);
    expect(fields).toMatchObject({ state: "in_flight", recordId, fingerprint: "fp", token: "t1" });
  });

  it("release keeps the record as released, or forgets it (deletes it) when asked", async () => {
    defineLuaCommands(redis, idempotencyScripts);
    const commands = redis as unknown as IdempotencyCommands;
    const kept = `${prefix()}:idem:kept`;
    const forgotten = `${prefix()}:idem:forgotten`;
    for (const key of [kept, forgotten]) await commands.idempotencyClaim(key, "fp", "0".repeat(32), "t1", 30_000, 60_000);
    expect(await commands.idempotencyRelease(kept, "t1", "keep")).toBe(1);
    expect(await redis.hget(kept, "state")).toBe("released");
    expect(await redis.hget(kept, "recordId")).toBe("0".repeat(32));
    expect(await commands.idempotencyRelease(forgotten, "t2", "forget")).toBe(0);
    expect(await redis.exists(forgotten)).toBe(1);
    expect(await commands.idempotencyRelease(forgotten, "t1", "forget")).toBe(1);
    expect(await redis.exists(forgotten)).toBe(0);
  });
});
