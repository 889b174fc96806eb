import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestRedis, randomPrefix, type TestRedis } from "#test-support/redis.js";
import { createEffectGuard, effectGuardScripts } from "../../src/guard/index.js";
import { GUARD_TIMES } from "./helpers.js";

describe("execution guard Lua scripts", () => {
  let redis: TestRedis;
  beforeAll(() => {
    redis = connectTestRedis();
  });
  afterAll(async () => {
    await redis.quit();
  });

  it("ships one script per operation, each with a header listing its keys, arguments and output", () => {
    expect(effectGuardScripts.map((script) => [script.name, script.numberOfKeys])).toEqual([
      ["effectClaim", 1],
      ["effectDone", 1],
      ["effectRelease", 1],
      ["effectRenew", 1],
      // The caller passes the key count: one key per operation in the batch.
      ["effectBatch", undefined],
    ]);
    for (const script of effectGuardScripts) {
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(script.lua)?.[1] ?? "";
      expect(header, script.name).toContain(script.numberOfKeys === undefined ? "KEYS[i]" : "KEYS[1]");
      expect(header, script.name).toContain("ARGV[1]");
      expect(header, script.name).toContain("Output");
      // Every ARGV the body reads is documented in the header (`ARGV[3 * i + 1]` as `ARGV[3i + 1]`).
      const compact = (text: string) => text.replace(/[\s*]/g, "");
      for (const [, index] of script.lua.matchAll(/ARGV\[([^\]]+)\]/g)) {
        expect(compact(header), `${script.name} ARGV[${index}]`).toContain(compact(`ARGV[${index}]`));
      }
    }
  });

  it("runs the batch's claims and done marks through the same included pieces as the single scripts", () => {
    const lua = (name: string) => effectGuardScripts.find((script) => script.name === name)?.lua ?? "";
    for (const [piece, scripts] of [
      ["local function claimEffect(", ["effectClaim", "effectBatch"]],
      ["local function markEffectDone(", ["effectDone", "effectBatch"]],
      ["local function redisNowMs(", ["effectClaim", "effectRenew", "effectBatch"]],
    ] as const) {
      for (const name of scripts) expect(lua(name).split(piece), `${name} defines ${piece} once`).toHaveLength(2);
    }
    for (const script of effectGuardScripts) expect(script.lua, script.name).not.toMatch(/^\s*---\s*@include/m);
  });

  it("loads every script into Redis with SCRIPT LOAD", async () => {
    for (const script of effectGuardScripts) {
      const sha = await redis.script("LOAD", script.lua);
      expect(sha, script.name).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it("registers every script as a command through defineCommand", async () => {
    const guard = createEffectGuard({ redis, keyPrefix: randomPrefix(), ...GUARD_TIMES });
    const host = redis as unknown as Record<string, unknown>;
    for (const script of effectGuardScripts) {
      expect(typeof host[script.name], script.name).toBe("function");
    }
    // And the registered commands answer (EVALSHA, falling back to EVAL).
    expect(await guard.renew("email", "no-such-job", "nobody")).toBe(false);
  });
});
