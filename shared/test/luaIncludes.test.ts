import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expandLuaIncludes, readLuaScript } from "@taskgate/shared/lua";

describe("Lua `--- @include` expansion", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "taskgate-lua-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes files under the temp folder (creating subfolders) and returns its path for `name`. */
  function files(contents: Record<string, string>): (name: string) => string {
    for (const [name, text] of Object.entries(contents)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return (name) => join(dir, name);
  }

  it("replaces an include line with the file's text, the path relative to the including file", () => {
    const at = files({
      "lua/script-1.lua": 'local a = 1\n--- @include "./includes/piece.lua"\nreturn piece(a)\n',
      "lua/includes/piece.lua": "local function piece(x) return x end\n",
    });
    expect(expandLuaIncludes(at("lua/script-1.lua"))).toBe("local a = 1\nlocal function piece(x) return x end\nreturn piece(a)\n");
  });

  it("expands nested includes, each relative to the file it is in", () => {
    const at = files({
      "pkg/src/lua/script-1.lua": '--- @include "./includes/outer.lua"\nreturn outer()\n',
      "pkg/src/lua/includes/outer.lua": '--- @include "../../../../shared/clock.lua"\nlocal function outer() return clock() end\n',
      "shared/clock.lua": "local function clock() return 1 end\n",
    });
    expect(expandLuaIncludes(at("pkg/src/lua/script-1.lua"))).toBe(
      "local function clock() return 1 end\nlocal function outer() return clock() end\nreturn outer()\n",
    );
  });

  it("includes a file once per script, where it is first included, and drops later includes of it", () => {
    const at = files({
      "script-n.lua": '--- @include "a.lua"\n--- @include "b.lua"\n  ---  @include   "a.lua"  \nreturn 0\n',
      "a.lua": "-- a\n",
      "b.lua": '--- @include "a.lua"\n-- b\n',
    });
    const lua = expandLuaIncludes(at("script-n.lua"));
    expect(lua).toBe("-- a\n\n-- b\n\nreturn 0\n");
    expect(lua.match(/-- a/g)).toHaveLength(1);
  });

  it("leaves text without include lines as it is (an include must be a line of its own)", () => {
    const text = '--[[ header ]]\nlocal s = "--- @include \\"x.lua\\""\n-- --- @include "y.lua"\nreturn s\n';
    const at = files({ "plain-1.lua": text });
    expect(expandLuaIncludes(at("plain-1.lua"))).toBe(text);
  });

  it("fails on an include cycle, naming the files of the cycle", () => {
    const at = files({
      "script-1.lua": '--- @include "a.lua"\n',
      "a.lua": '--- @include "b.lua"\n',
      "b.lua": '--- @include "a.lua"\n',
    });
    expect(() => expandLuaIncludes(at("script-1.lua"))).toThrow(`Lua include cycle: ${at("a.lua")} -> ${at("b.lua")} -> ${at("a.lua")}`);
  });

  it("fails on a file that includes itself", () => {
    const at = files({ "self-1.lua": '--- @include "./self-1.lua"\n' });
    expect(() => expandLuaIncludes(at("self-1.lua"))).toThrow(`Lua include cycle: ${at("self-1.lua")} -> ${at("self-1.lua")}`);
  });

  it("fails on a missing file, naming the include, the including file and the path it resolved to", () => {
    const at = files({ "script-1.lua": '--- @include "./lua/piece.lua"\n', "lua/other.lua": '--- @include "missing.lua"\n' });
    expect(() => expandLuaIncludes(at("script-1.lua"))).toThrow(`Lua include "./lua/piece.lua" in ${at("script-1.lua")}: no such file ${at("lua/piece.lua")}`);
    expect(() => expandLuaIncludes(at("lua/other.lua"))).toThrow(`Lua include "missing.lua" in ${at("lua/other.lua")}: no such file ${at("lua/missing.lua")}`);
  });

  it("is what readLuaScript sends to Redis, with the key count still from the script's name", () => {
    const at = files({ "lua/op-n.lua": '--- @include "piece.lua"\nreturn piece()\n', "lua/piece.lua": "local function piece() return 1 end\n" });
    expect(readLuaScript(pathToFileURL(at("lua/op-n.lua")))).toEqual({ name: "op", lua: "local function piece() return 1 end\nreturn piece()\n", numberOfKeys: undefined });
  });
});
