/**
 * The rate limiter's Lua script (`slidingWindow-n.lua`, next to this file) and the typed
 * command `defineCommand` adds to a client.
 */
import { readLuaScript, type LuaScript } from "@taskgate/shared/lua";

/** The sliding-window script, read once at import; register it with `defineLuaCommands`. */
export const slidingWindowScript: LuaScript = readLuaScript(new URL("./slidingWindow-n.lua", import.meta.url));

/**
 * The command a client has after `defineLuaCommands(client, [slidingWindowScript])`:
 * `slidingWindow(numKeys, ...keys, memberId, ...[limit, windowMs, cost] per key)`.
 * The reply layout is documented in the header of `slidingWindow-n.lua`.
 */
export interface SlidingWindowCommands {
  slidingWindow(...args: (string | number)[]): Promise<number[]>;
}
