/**
 * Headless Chromium for the dashboard tests, driven by playwright-core: Debian's `chromium`
 * (`/usr/bin/chromium`, or CHROMIUM_PATH), which `.ci/run` installs with apt when it is missing.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Where the browser is looked for. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Whether the browser tests can run here. */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * Launches it headless. The flags keep it from reaching for the network (update checks, sync,
 * QUIC), which on a closed machine only produces refused connections, and from needing a GPU
 * or a setuid sandbox (CI runs as root).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
  });
}
