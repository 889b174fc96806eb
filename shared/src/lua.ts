/**
 * Loads Lua scripts (one file per atomic Redis operation, named `name-NUMKEYS.lua`, or
 * `name-n.lua` when the caller passes the key count) and registers them on an ioredis client
 * with `defineCommand`, which sends EVALSHA and falls back to EVAL on NOSCRIPT.
 * Exported as `@taskgate/shared/lua` so the main entry stays free of I/O.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

/** A script read from disk, ready for `defineCommand`. */
export interface LuaScript {
  /** Command name: the file name without `-NUMKEYS.lua`. */
  name: string;
  lua: string;
  /** Fixed key count, or undefined when the caller passes it as the first argument. */
  numberOfKeys: number | undefined;
}

/** Reads one `name-NUMKEYS.lua` (or `name-n.lua`) file. */
export function readLuaScript(file: URL): LuaScript {
  const match = /^(.+)-(\d+|n)\.lua$/.exec(basename(fileURLToPath(file)));
  if (!match) throw new Error(`Lua script file names are name-NUMKEYS.lua or name-n.lua: ${file.href}`);
  const [, name, keys] = match as unknown as [string, string, string];
  return { name, lua: readFileSync(file, "utf8"), numberOfKeys: keys === "n" ? undefined : Number(keys) };
}

/** Anything with ioredis' `defineCommand` (a Redis or a Cluster client). */
export interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

/** Registers scripts on a client (idempotent per client: a name already there is skipped). */
export function defineLuaCommands(client: ScriptHost, scripts: readonly LuaScript[]): void {
  const host = client as ScriptHost & Record<string, unknown>;
  for (const script of scripts) {
    if (typeof host[script.name] === "function") continue;
    client.defineCommand(
      script.name,
      script.numberOfKeys === undefined ? { lua: script.lua } : { lua: script.lua, numberOfKeys: script.numberOfKeys },
    );
  }
}
