/**
 * One build at a time across the test processes of a checkout: the tests that need compiled
 * output (the SDK tarball, the production entry points) build it themselves, and two `tsc -b`
 * runs writing the same dist/ folders at once would corrupt each other.
 */
import { createHash } from "node:crypto";
import { mkdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sleep } from "./time.js";

/** The monorepo root. */
export const REPO_ROOT = resolve(import.meta.dirname, "../..");

// Outside the repository, one per checkout.
const LOCK = join(tmpdir(), `taskgate-build-${createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 12)}.lock`);
/** A lock older than this is left over from a killed run, in ms. */
const STALE_LOCK_MS = 180_000;

async function acquire(): Promise<void> {
  for (;;) {
    try {
      await mkdir(LOCK);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const since = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (since > STALE_LOCK_MS) await rm(LOCK, { recursive: true, force: true });
      await sleep(200);
    }
  }
}

/** Runs `build` while no other test process of this checkout builds. */
export async function withBuildLock<T>(build: () => Promise<T>): Promise<T> {
  await acquire();
  try {
    return await build();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}
