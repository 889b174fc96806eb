/**
 * Loads Lua scripts (one file per atomic Redis operation, named `name-NUMKEYS.lua`, or
 * `name-n.lua` when the caller passes the key count) and registers them on an ioredis client
 * with `defineCommand`, which sends EVALSHA and falls back to EVAL on NOSCRIPT.
 * Exported as `@taskgate/shared/lua` so the main entry stays free of I/O.
 *
 * A script may pull in shared pieces with a line `--- @include "path"` (as BullMQ's script
 * loader does), so logic used by several scripts is written once; Redis only ever sees the
 * expanded text.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** A script read from disk, ready for `defineCommand`. */
export interface LuaScript {
  /** Command name: the file name without `-NUMKEYS.lua`. */
  name: string;
  /** Source sent to Redis: the file with its `--- @include` lines expanded. */
  lua: string;
  /** Fixed key count, or undefined when the caller passes it as the first argument. */
  numberOfKeys: number | undefined;
}

/** Reads one `name-NUMKEYS.lua` (or `name-n.lua`) file, expanding its includes. */
export function readLuaScript(file: URL): LuaScript {
  const path = fileURLToPath(file);
  // The key count comes from the script's own name; included pieces have no naming rule.
  const match = /^(.+)-(\d+|n)\.lua$/.exec(basename(path));
  if (!match) throw new Error(`Lua script file names are name-NUMKEYS.lua or name-n.lua: ${file.href}`);
  const [, name, keys] = match as unknown as [string, string, string];
  return { name, lua: expandLuaIncludes(path), numberOfKeys: keys === "n" ? undefined : Number(keys) };
}

/**
 * Reads a Lua file and replaces each line `--- @include "path"` (the whole line; the path is
 * relative to the file the line is in) with that file's expanded text. Includes may nest; each
 * file goes in at most once per script, where it is first included, and later includes of it
 * are dropped, so a piece two others need is defined once. Put includes at the top level of a
 * file (not inside a function), before the code that calls what they define: a piece is plain
 * Lua pasted in place, and its `local function`s are visible only below it.
 *
 * @throws Error naming the files, on an include cycle or an included file that does not exist.
 */
export function expandLuaIncludes(file: string): string {
  return expand(resolve(file), [], new Set());
}

/** `chain`: the files being expanded around `file` (for cycles); `included`: every file so far. */
function expand(file: string, chain: readonly string[], included: Set<string>): string {
  const within = [...chain, file];
  included.add(file);
  return readFileSync(file, "utf8").replace(/^[ \t]*---[ \t]*@include[ \t]+"([^"]+)"[ \t]*\r?$/gm, (_line, target: string) => {
    const path = resolve(dirname(file), target);
    const start = within.indexOf(path);
    // Checked before "already included": a file that includes itself, directly or not, is a bug.
    if (start !== -1) throw new Error(`Lua include cycle: ${[...within.slice(start), path].join(" -> ")}`);
    if (included.has(path)) return "";
    if (!existsSync(path)) throw new Error(`Lua include "${target}" in ${file}: no such file ${path}`);
    // The directive's line break stays, so the piece's own final one is dropped.
    return expand(path, within, included).replace(/\r?\n$/, "");
  });
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
