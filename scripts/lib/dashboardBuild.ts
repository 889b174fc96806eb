/**
 * Builds the admin dashboard (Vite, into dashboard/dist) when its build is missing or older than
 * its sources, so `npm start` and `npm test` serve a current page without a separate step. A
 * current build costs one directory walk; a rebuild takes about a second.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

/** What the page is built from: its own files, the client SDK it bundles, and the installed packages. */
const SOURCES = ["dashboard/src", "dashboard/index.html", "dashboard/vite.config.ts", "dashboard/package.json", "dashboard/tsconfig.json", "client-sdk/src", "package-lock.json"];
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

/**
 * Builds the dashboard if it is stale; resolves `true` when it built. The build goes to a
 * folder of its own and is then renamed into place, so an API serving dashboard/dist (another
 * `npm start`, a test run) never sees it half-written or emptied.
 */
export async function ensureDashboardBuilt(root = "."): Promise<boolean> {
  if (!dashboardBuildIsStale(root)) return false;
  const { build } = await import("vite");
  const dist = join(root, "dashboard/dist");
  const fresh = `${dist}.build-${process.pid}`;
  const old = `${dist}.old-${process.pid}`;
  try {
    await build({ configFile: join(root, "dashboard/vite.config.ts"), logLevel: "warn", build: { outDir: resolve(fresh), emptyOutDir: true } });
    if (existsSync(dist)) renameSync(dist, old);
    renameSync(fresh, dist);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
  return true;
}
