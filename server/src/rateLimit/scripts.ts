/**
 * The rate limiter's Lua script (`lua/slidingWindow-n.lua`) and the typed
 * command `defineCommand` adds to a client.
 */
import { readLuaScript, type LuaScript } from "@taskgate/shared/lua";

/** The sliding-window script, read once at import; register it with `defineLuaCommands`. */
export const slidingWindowScript: LuaScript = readLuaScript(new URL("./lua/slidingWindow-n.lua", import.meta.url));

/**
 * The command a client has after `defineLuaCommands(client, [slidingWindowScript])`:
 * `slidingWindow(numKeys, ...keys, memberId, ...[limit, windowMs, cost] per key)`.
 * The reply layout is documented in the header of `lua/slidingWindow-n.lua`.
 */
export interface SlidingWindowCommands {
  slidingWindow(...args: (string | number)[]): Promise<number[]>;
}
