/**
 * The configuration tables of the docs say what the config table says: README lists every
 * variable, and every default a doc table gives is the one `CONFIG_VARIABLES` holds.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS, CONFIG_VARIABLES } from "@taskgate/shared";

const byEnv = new Map<string, keyof typeof CONFIG_VARIABLES>(Object.entries(CONFIG_VARIABLES).map(([key, row]) => [row.env, key as keyof typeof CONFIG_VARIABLES]));

/** Rows of every markdown table in `text` whose first cell names config variables: names, and the default cell split to match. */
function documentedDefaults(text: string): Array<{ env: string; shown: string }> {
  const rows: Array<{ env: string; shown: string }> = [];
  for (const line of text.split("\n")) {
    const cells = line.split(" | ").map((cell) => cell.replace(/^\|\s*|\s*\|$/g, "").trim());
    if (cells.length < 3) continue;
    const names = [...cells[0]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!).filter((name) => byEnv.has(name));
    if (names.length === 0) continue;
    const shown = names.length === 1 ? [cells[1]!] : cells[1]!.split(", ");
    names.forEach((env, i) => rows.push({ env, shown: shown.length === names.length ? shown[i]! : cells[1]! }));
  }
  return rows;
}

/** A doc's way of writing a default ("30 days", "100 000", "unset") as the value it stands for. */
function valueOf(shown: string): unknown {
  const text = shown.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/`/g, "");
  if (text === "unset") return undefined;
  if (text === "true" || text === "false") return text === "true";
  const duration = /^(\d+) (h|days)$/.exec(text);
  if (duration) return Number(duration[1]) * (duration[2] === "h" ? 3_600_000 : 86_400_000);
  if (/^\d[\d ]*$/.test(text)) return Number(text.replace(/ /g, ""));
  return text;
}

describe("configuration docs", () => {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));

  it("README's table names every variable", () => {
    const named = new Set(documentedDefaults(section).map((row) => row.env));
    expect(Object.values(CONFIG_VARIABLES).map((row) => row.env).filter((env) => !named.has(env))).toEqual([]);
  });

  for (const doc of ["README.md", "docs/OPERATIONS.md"]) {
    it(`${doc} gives the config's defaults`, () => {
      const rows = documentedDefaults(doc === "README.md" ? section : readFileSync(doc, "utf8")).filter((row) => row.env !== "RATE_LIMIT_RULES" && row.env !== "RATE_LIMIT_RULES_FILE");
      expect(rows.length).toBeGreaterThan(0);
      for (const { env, shown } of rows) expect(valueOf(shown), `${doc}: ${env} = ${shown}`).toEqual(CONFIG_DEFAULTS[byEnv.get(env)!]);
    });
  }
});
