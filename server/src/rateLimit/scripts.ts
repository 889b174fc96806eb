/**
 * The rate limiter's Lua script (`lua/slidingWindow-n.lua`) and the typed
 * command `defineCommand` adds to a client.
 */
import { readLuaScript, type LuaScript } from "@taskgate/shared/lua";

/** The sliding-window script, read once at import; register it with `defineLuaCommands`. */
export const slidingWindowScript: LuaScript = readLuaScript(new URL("./lua/slidingWindow-n.lua", import.meta.url));

/**
 * The command a client has after `defineLuaCommands(client, [slidingWindowScript])`:
 * `slidingWindow(numKeys, ...ruleKeys, versionKey, memberId, version, rules)`, `rules` made
 * with `writeRuleArg`. The reply layout is documented in the header of `lua/slidingWindow-n.lua`.
 */
export interface SlidingWindowCommands {
  slidingWindow(...args: (string | number | Buffer)[]): Promise<number[]>;
}

/** Bytes per rule in the script's rules argument (struct `>dddB`: limit, windowMs, cost, mode). */
export const RULE_ARG_BYTES = 25;

/** Writes rule `i`'s fields (0-based) into the script's rules argument, a `RULE_ARG_BYTES × n` buffer. */
export function writeRuleArg(rules: Buffer, i: number, limit: number, windowMs: number, cost: number, shadow: boolean): void {
  const at = i * RULE_ARG_BYTES;
  rules.writeDoubleBE(limit, at);
  rules.writeDoubleBE(windowMs, at + 8);
  rules.writeDoubleBE(cost, at + 16);
  rules.writeUInt8(shadow ? 1 : 0, at + 24);
}
