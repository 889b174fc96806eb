/**
 * The execution guard's Lua scripts (one per atomic operation, in `./lua/`) and the typed
 * commands `defineCommand` adds to a client.
 */
import { readLuaScript, type LuaScript } from "@taskgate/shared/lua";

/** The scripts, read once at import; register them with `defineLuaCommands`. */
export const effectGuardScripts: readonly LuaScript[] = [
  readLuaScript(new URL("./lua/effectClaim-1.lua", import.meta.url)),
  readLuaScript(new URL("./lua/effectDone-1.lua", import.meta.url)),
  readLuaScript(new URL("./lua/effectRelease-1.lua", import.meta.url)),
  readLuaScript(new URL("./lua/effectRenew-1.lua", import.meta.url)),
  // Claims and done marks of several jobs in one call (`effectBatcher.ts`).
  readLuaScript(new URL("./lua/effectBatch-n.lua", import.meta.url)),
];

/** Raw reply of `effectClaim`: see the header of `lua/effectClaim-1.lua`. */
export type EffectClaimReply =
  | ["claimed", number]
  | ["reclaimed", number]
  | ["done", string]
  | ["busy", number];

/** The commands a client has after `defineLuaCommands(client, effectGuardScripts)`. */
export interface EffectGuardCommands {
  effectClaim(key: string, owner: string, leaseMs: number, ttlMs: number): Promise<EffectClaimReply>;
  effectDone(key: string, owner: string, resultJson: string, ttlMs: number): Promise<0 | 1>;
  effectRelease(key: string, owner: string): Promise<0 | 1>;
  effectRenew(key: string, owner: string, leaseMs: number): Promise<0 | 1>;
  /**
   * `effectBatch(n, ...n keys, leaseMs, ttlMs, ...[op, owner, resultJson] per key)`; the reply
   * holds one single-script reply per operation (header of `lua/effectBatch-n.lua`).
   */
  effectBatch(...args: (string | number)[]): Promise<Array<EffectClaimReply | 0 | 1>>;
}
