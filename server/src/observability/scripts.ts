/**
 * The observability Lua script (`lua/countRetrying-1.lua`) and the typed command
 * `defineCommand` adds to a client.
 */
import { readLuaScript, type LuaScript } from "@taskgate/shared/lua";

/** Read once at import; register it with `defineLuaCommands`. */
export const countRetryingScript: LuaScript = readLuaScript(new URL("./lua/countRetrying-1.lua", import.meta.url));

/** The command a client has after `defineLuaCommands(client, [countRetryingScript])`; reply per the script's header. */
export interface CountRetryingCommands {
  countRetrying(delayedKey: string, jobKeyPrefix: string, maxExamined: number): Promise<[number, number]>;
}
