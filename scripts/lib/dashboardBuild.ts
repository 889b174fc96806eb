/**
 * Builds the admin dashboard (Vite, into dashboard/dist) when its build is missing or older than
 * its sources, so `npm start` and `npm test` serve a current page without a separate step. A
 * current build costs one directory walk; a rebuild takes about a second.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** What the page is built from: its own files and the client SDK it bundles. */
const SOURCES = ["dashboard/src", "dashboard/index.html", "dashboard/vite.config.ts", "client-sdk/src"];
const BUILT_PAGE = "dashboard/dist/index.html";

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

/** True when dashboard/dist is missing or older than a source file. */
export function dashboardBuildIsStale(root = "."): boolean {
  const built = join(root, BUILT_PAGE);
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((source) => newestChange(join(root, source)) > builtAt);
}

/** Builds the dashboard if it is stale; resolves `true` when it built. */
export async function ensureDashboardBuilt(root = "."): Promise<boolean> {
  if (!dashboardBuildIsStale(root)) return false;
  const { build } = await import("vite");
  await build({ configFile: join(root, "dashboard/vite.config.ts"), logLevel: "warn" });
  return true;
}
