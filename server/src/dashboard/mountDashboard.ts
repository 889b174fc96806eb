/**
 * Serves the admin dashboard (the Vite build of the repository's `dashboard/` package) at `/admin`.
 * It finds the build by its path, not as a package dependency, so the server does not depend
 * on the dashboard (which depends on the client SDK, which depends on the server's types).
 *
 * The files are public: they hold no data, and a browser cannot send the admin key on a
 * navigation anyway. The page asks for the key and sends it on every API call, where the
 * `admin` access check applies as for any client. The responses carry a strict
 * Content-Security-Policy (own scripts, styles and API only; no framing), so data written by API
 * clients (dead-job payloads, blocked-log entries) cannot run as script in an admin's browser.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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

/**
 * The dashboard's build in the repository's layout (`<repo>/dashboard/dist`), found from this
 * module: `server/src/dashboard/` (sources) and `server/dist/dashboard/` (build) sit at the
 * same depth. The image ships the whole repository tree, so the path holds there too.
 */
export const DEFAULT_DASHBOARD_BUILD_DIR = fileURLToPath(new URL("../../../dashboard/dist", import.meta.url));

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
export function mountDashboard(app: Express, logger: Logger, buildDir = DEFAULT_DASHBOARD_BUILD_DIR): void {
  if (!existsSync(join(buildDir, "index.html"))) {
    logger.warn({ buildDir }, "the admin dashboard is not built: /admin answers 404 until `npm run build` (or `npm start`) builds it");
    app.use(DASHBOARD_PATH, (_req, res) => {
      sendProblem(res, new NotFoundError("The admin dashboard is not built on this server: run `npm run build` (or `npm start`, which builds it)."), logger);
    });
    return;
  }
  app.use(DASHBOARD_PATH, express.static(buildDir, { index: "index.html", setHeaders: headersFor(buildDir), fallthrough: true }));
}
