/**
 * Builds the dashboard into `dist/`, which the API serves at `/admin` (server/src/dashboard).
 * The workspace packages are bundled from their TypeScript sources (the `source` condition), so
 * the dashboard needs no earlier build of the client SDK.
 */
import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/admin/",
  resolve: { conditions: ["source", ...defaultClientConditions] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // No source maps in the served build: the page is small and readable as it is in src/.
    sourcemap: false,
  },
  logLevel: "warn",
});
