/**
 * The import rules lint enforces (eslint.config.js): no import cycles, and server/src layered one
 * way (transport → features → errors/redis). A throw-away folder inside server/src breaks each
 * rule once; ESLint, run with the project's own config, must report every break and nothing else.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURE = `__lintFixture_${process.pid}_${randomBytes(4).toString("hex")}`;

/** Fixture files, by path under server/src; each imports real modules of the server. */
const FILES: Record<string, string> = {
  // Two feature files importing each other (values, not types).
  [`rateLimit/${FIXTURE}/cycleA.ts`]: `import { b } from "./cycleB.js";\nexport const a = (): unknown => b;\n`,
  [`rateLimit/${FIXTURE}/cycleB.ts`]: `import { a } from "./cycleA.js";\nexport const b = (): unknown => a;\n`,
  // A feature reaching up into transport, and (type only) into the root contracts.
  [`rateLimit/${FIXTURE}/reachesUp.ts`]:
    `import { sendProblem } from "../../http/sendProblem.js";\nimport type { ServerDeps } from "../../serverDeps.js";\nexport const up = (deps: ServerDeps): unknown => [sendProblem, deps];\n`,
  // A feature importing a feature listed above it (observability reads jobs, never the reverse).
  [`jobs/${FIXTURE}/reachesSideways.ts`]: `import { queuesOverview } from "../../observability/index.js";\nexport const side = (): unknown => queuesOverview;\n`,
  // The bottom layer importing a feature.
  [`redis/${FIXTURE}/reachesFeature.ts`]: `import { requestCost } from "../../rateLimit/index.js";\nexport const cost = (): unknown => requestCost;\n`,
  // Pointing down only: allowed.
  [`rateLimit/${FIXTURE}/pointsDown.ts`]:
    `import { connectRedis } from "../../redis/connect.js";\nimport { NotFoundError } from "../../errors/appErrors.js";\nexport const down = (): unknown => [connectRedis, NotFoundError];\n`,
};

/** import-x findings per fixture file (by its name), as `rule: message`. */
let findings: Map<string, string[]>;

beforeAll(async () => {
  const written = Object.keys(FILES).map((path) => join(REPO_ROOT, "server/src", path));
  try {
    for (const [index, path] of written.entries()) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, Object.values(FILES)[index]!);
    }
    const results = await new ESLint({ cwd: REPO_ROOT }).lintFiles(written);
    findings = new Map(
      results.map((result) => [
        result.filePath.split("/").at(-1)!.replace(/\.ts$/, ""),
        result.messages.filter((message) => message.ruleId?.startsWith("import-x/")).map((message) => `${message.ruleId}: ${message.message}`),
      ]),
    );
  } finally {
    for (const folder of new Set(written.map((path) => dirname(path)))) rmSync(folder, { recursive: true, force: true });
  }
}, 60_000);

describe("lint's import rules", () => {
  it("reports both files of an import cycle", () => {
    expect(findings.get("cycleA")).toEqual([expect.stringMatching(/^import-x\/no-cycle: Dependency cycle/)]);
    expect(findings.get("cycleB")).toEqual([expect.stringMatching(/^import-x\/no-cycle: Dependency cycle/)]);
  });

  it("reports a feature importing transport or the root contracts, type-only imports included", () => {
    expect(findings.get("reachesUp")).toEqual([
      expect.stringMatching(/^import-x\/no-restricted-paths: Unexpected path "\.\.\/\.\.\/http\/sendProblem\.js".*rateLimit\/ may import/),
      expect.stringMatching(/^import-x\/no-restricted-paths: Unexpected path "\.\.\/\.\.\/serverDeps\.js".*rateLimit\/ may import/),
    ]);
  });

  it("reports a feature importing a feature above it, and the bottom layer importing a feature", () => {
    expect(findings.get("reachesSideways")).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: .*observability\/index\.js.*jobs\/ may import/)]);
    expect(findings.get("reachesFeature")).toEqual([expect.stringMatching(/^import-x\/no-restricted-paths: .*rateLimit\/index\.js.*redis\/ may import/)]);
  });

  it("lets imports that point down through", () => {
    expect(findings.get("pointsDown")).toEqual([]);
  });
});
