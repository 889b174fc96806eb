/**
 * Compiles what `npm run start:api` and `npm run start:worker` run (`tsc -b`, then the Lua
 * scripts copied beside the JS, as `npm run build` does), once per test process; a no-op when
 * dist/ is up to date, as it is after `npm run typecheck` in CI.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { REPO_ROOT, withBuildLock } from "./buildLock.js";

const run = promisify(execFile);

let built: Promise<void> | undefined;

/** Builds shared/, server/ and worker/ into their dist/ folders. */
export function buildDist(): Promise<void> {
  built ??= withBuildLock(async () => {
    await run("npx", ["tsc", "-b", "shared", "server", "worker"], { cwd: REPO_ROOT, maxBuffer: 10_000_000 });
    await run(process.execPath, ["scripts/copy-assets.mjs"], { cwd: REPO_ROOT });
  });
  return built;
}
