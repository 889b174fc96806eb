/**
 * `GET /openapi.json` (the OpenAPI 3.1 document of the REST aliases) and `GET /docs` (a page
 * rendering it). Both are open, like /health.
 */
import type { Express } from "express";
import type { AppRouter } from "../trpc/appRouter.js";
import { buildOpenApiDocument } from "./document.js";
import { DOCS_CSP, DOCS_HTML } from "./docsPage.js";

export { buildOpenApiDocument, type OpenApiDocument } from "./document.js";

/** Where the document and the page are served. */
export const OPENAPI_PATHS = { document: "/openapi.json", page: "/docs" } as const;

/** Serves the document (built once, here) and the docs page. */
export function mountOpenApi(app: Express, router: AppRouter): void {
  const document = JSON.stringify(buildOpenApiDocument(router));
  app.get(OPENAPI_PATHS.document, (_req, res) => {
    // Public by design: lets hosted viewers and generators load it from a browser.
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.type("application/json").send(document);
  });
  app.get(OPENAPI_PATHS.page, (_req, res) => {
    res.setHeader("Content-Security-Policy", DOCS_CSP);
    res.type("html").send(DOCS_HTML);
  });
}
