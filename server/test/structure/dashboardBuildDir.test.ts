/**
 * The server finds the dashboard's build by its place in the repository, not as a package
 * dependency (that would close the loop server → dashboard → client SDK → server), and the
 * image ships the build at that place.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_DASHBOARD_BUILD_DIR } from "../../src/dashboard/mountDashboard.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");

describe("the dashboard's build, as the server finds it", () => {
  it("defaults to <repo>/dashboard/dist, and the server has no package dependency on the dashboard", () => {
    expect(DEFAULT_DASHBOARD_BUILD_DIR).toBe(join(REPO_ROOT, "dashboard", "dist"));
    const server = JSON.parse(read("server/package.json")) as Record<string, Record<string, string> | undefined>;
    for (const field of ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]) {
      expect(Object.keys(server[field] ?? {}), field).not.toContain("@taskgate/dashboard");
    }
  });

  it("is in the image: the build stage builds it and the final stage copies the whole tree", () => {
    const build = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts.build ?? "";
    expect(build).toMatch(/npm run build -w @taskgate\/dashboard/);
    const dockerfile = read("Dockerfile").replace(/\\\n/g, " ");
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app \/app$/m);
  });
});
