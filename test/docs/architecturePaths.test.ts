/**
 * docs/ARCHITECTURE.md names a file for every hop of the request and job paths; this keeps those
 * names true. Every file-like name in it (`a/b.ts`, `x.lua`, `scripts/lib/`) must exist, read
 * from the repository root or from a package's `src/` (the document names server files as
 * `trpc/procedures.ts`, short for `server/src/trpc/procedures.ts`; the dashboard's file tree names
 * its panels by file name). Build outputs (`…/dist/…`) are left out: a clone has none.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url);
const BASES = ["", "server/src/", "worker/src/", "shared/src/", "client-sdk/src/", "dashboard/src/", "dashboard/src/panels/", "docs/"];

/** Words that look like file names and are not: `express.json()`. */
const NOT_FILES = new Set(["express.json"]);

/** File-like names (placeholders such as `<domain>.ts` are left out): with an extension we keep code in, or a folder path ending in `/`. */
const NAME = /(?<![\w/.@<>*-])((?:[\w.-]+\/)*[\w.-]+\.(?:ts|mjs|lua|md|json|yml|html|css)|(?:[\w.-]+\/){1,}(?=[\s`),:]))/g;

export function namedPaths(markdown: string): string[] {
  const names = new Set<string>();
  for (const match of markdown.matchAll(NAME)) {
    const name = match[1]!;
    // Build outputs (`dist/`) are not in a clone; `src/` alone is a package's source folder.
    if (/^https?:|^\d|^\.\.?\/|(^|\/)dist\/|^src\/$/.test(name) || name.includes("*") || NOT_FILES.has(name)) continue;
    names.add(name);
  }
  return [...names];
}

function exists(name: string): boolean {
  return BASES.some((base) => existsSync(new URL(base + name, ROOT)));
}

describe("docs/ARCHITECTURE.md", () => {
  const markdown = readFileSync(new URL("docs/ARCHITECTURE.md", ROOT), "utf8");

  it("names only files and folders that exist", () => {
    const names = namedPaths(markdown);
    // Not vacuous: the document names dozens of files along the two paths.
    expect(names.length).toBeGreaterThan(40);
    expect(names.filter((name) => !exists(name))).toEqual([]);
  });

  it("would catch a name that does not exist", () => {
    expect(namedPaths("the limiter (`rateLimit/nowhere.ts`) and http/app.ts")).toEqual(["rateLimit/nowhere.ts", "http/app.ts"]);
    expect(exists("rateLimit/nowhere.ts")).toBe(false);
    expect(exists("http/app.ts")).toBe(true);
  });
});
