/**
 * The job operations' Lua script (`lua/rescheduleJob-5.lua`) and the typed command
 * `defineCommand` adds to a client.
 */
import { readLuaScript, type LuaScript } from "@taskgate/shared/lua";

/** Moves a waiting or scheduled job to a new time; register it with `defineLuaCommands`. */
export const rescheduleJobScript: LuaScript = readLuaScript(new URL("./lua/rescheduleJob-5.lua", import.meta.url));

/** `rescheduleJob(jobKey, wait, delayed, marker, events, jobId, atMs, delayMs)`: see the script's header. */
export interface RescheduleJobCommands {
  rescheduleJob(...args: (string | number)[]): Promise<1 | -1 | -2 | -3>;
}
