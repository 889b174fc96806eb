/**
 * The idempotency store's Lua scripts (one per atomic operation, in `./lua/`) and the typed
 * commands `defineCommand` adds to a client.
 */
import { readLuaScript, type LuaScript } from "@taskgate/shared/lua";

/** The three scripts, read once at import; register them with `defineLuaCommands`. */
export const idempotencyScripts: readonly LuaScript[] = [
  readLuaScript(new URL("./lua/idempotencyClaim-1.lua", import.meta.url)),
  readLuaScript(new URL("./lua/idempotencyComplete-1.lua", import.meta.url)),
  readLuaScript(new URL("./lua/idempotencyRelease-1.lua", import.meta.url)),
];

/** Raw reply of `idempotencyClaim`: see the header of `lua/idempotencyClaim-1.lua`. */
export type ClaimReply =
  | ["claimed", string]
  | ["replay", number, string]
  | ["in_use", number]
  | ["mismatch"];

/** The commands a client has after `defineLuaCommands(client, idempotencyScripts)`. */
export interface IdempotencyCommands {
  idempotencyClaim(
    key: string,
    fingerprint: string,
    freshRecordId: string,
    token: string,
    leaseMs: number,
    ttlMs: number,
  ): Promise<ClaimReply>;
  idempotencyComplete(key: string, token: string, status: number, body: string, ttlMs: number): Promise<0 | 1>;
  idempotencyRelease(key: string, token: string, mode: "forget" | "keep"): Promise<0 | 1>;
}
