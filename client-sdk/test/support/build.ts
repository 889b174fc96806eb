/**
 * Builds the SDK (`npm run build -w @taskgate/client`: tsc -b, then the bundled index.d.ts) once
 * for the tests that need its dist/ — the CLI and packed-tarball tests — even when they run in
 * parallel processes: a lock directory lets one build (or pack, which builds too) while the
 * others wait.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { withBuildLock } from "#test-support/buildLock.js";
import { cleanEnv } from "#test-support/processes.js";

const run = promisify(execFile);

/** The monorepo root. */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** The SDK package folder. */
export const SDK_DIR = fileURLToPath(new URL("../../", import.meta.url));

// The lock every test build shares (the production entry points' build too): two `tsc -b`
// runs writing the same dist/ folders at once would corrupt each other.
const locked = withBuildLock;

let built: Promise<void> | undefined;

/** Builds the SDK's dist/ (a no-op when it is up to date). */
export function buildSdk(): Promise<void> {
  built ??= locked(async () => {
    await run("npm", ["run", "build", "-w", "@taskgate/client"], { cwd: ROOT, env: cleanEnv(), maxBuffer: 10_000_000 });
  });
  return built;
}

/**
 * Runs `npm <args>` (a `npm pack`) in `cwd` under the build lock: its prepack rebuilds dist/ and
 * swaps the SDK's package.json for the packed one, neither of which may overlap another test's
 * build. Rejects as execFile does when npm fails.
 */
export function npmPackLocked(args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return locked(() => run("npm", [...args], { cwd, env: cleanEnv(), maxBuffer: 10_000_000 }));
}
