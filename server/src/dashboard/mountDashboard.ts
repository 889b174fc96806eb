/**
 * Serves the admin dashboard (the `@taskgate/dashboard` package's Vite build) at `/admin`.
 *
 * The files are public: they hold no data, and a browser cannot send the admin key on a
 * navigation anyway. The page asks for the key and sends it on every API call, where the
 * `admin` access check applies as for any client. The responses carry a strict
 * Content-Security-Policy (own scripts, styles and API only; no framing), so data written by API
 * clients (dead-job payloads, blocked-log entries) cannot run as script in an admin's browser.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import express, { type Express, type Response } from "express";
import type { Logger } from "pino";
import { NotFoundError } from "../errors/appErrors.js";
import { sendProblem } from "../http/sendProblem.js";

/** Where the dashboard is served. */
export const DASHBOARD_PATH = "/admin";

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

/** The dashboard build folder, or undefined when the package is not installed. */
export function dashboardBuildDir(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve("@taskgate/dashboard/package.json");
    return join(dirname(manifest), "dist");
  } catch {
    return undefined;
  }
}

/** Headers of every file: the security headers, and caching by kind of file. */
function headersFor(buildDir: string) {
  const assets = join(buildDir, "assets");
  return (res: Response, path: string): void => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // Vite puts a content hash in every asset name, so assets never change; the page itself must be revalidated.
    res.setHeader("Cache-Control", path.startsWith(assets) ? "public, max-age=31536000, immutable" : "no-cache");
  };
}

/**
 * Mounts the dashboard at `/admin`. Without a build (`npm run build`; `npm start` builds it when
 * needed), `/admin` answers a 404 problem that says how to build it instead of an empty page.
 */
export function mountDashboard(app: Express, logger: Logger, buildDir = dashboardBuildDir()): void {
  if (buildDir === undefined || !existsSync(join(buildDir, "index.html"))) {
    logger.warn({ buildDir }, "the admin dashboard is not built: /admin answers 404 until `npm run build` (or `npm start`) builds it");
    app.use(DASHBOARD_PATH, (_req, res) => {
      sendProblem(res, new NotFoundError("The admin dashboard is not built on this server: run `npm run build` (or `npm start`, which builds it)."), logger);
    });
    return;
  }
  app.use(DASHBOARD_PATH, express.static(buildDir, { index: "index.html", setHeaders: headersFor(buildDir), fallthrough: true }));
}
