/**
 * The policy store's Lua script (`lua/policyWrite-3.lua`) and the typed command `defineCommand`
 * adds to a client.
 */
import { readLuaScript, type LuaScript } from "@taskgate/shared/lua";

/** Compare-and-set of the policy plus its audit entry; register it with `defineLuaCommands`. */
export const policyWriteScript: LuaScript = readLuaScript(new URL("./lua/policyWrite-3.lua", import.meta.url));

/** `policyWrite(doc, version, audit, expectedVersion, docJson, auditMax, ...auditFields)`: see the script's header. */
export interface PolicyWriteCommands {
  policyWrite(...args: (string | number)[]): Promise<[0 | 1, number]>;
}
