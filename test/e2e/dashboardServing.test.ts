/**
 * The dashboard's static files at /admin: served by the API itself, public but locked down
 * (CSP, no framing), cached by kind, counted as one route; the data behind them stays admin-only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mountDashboard } from "../../server/src/dashboard/mountDashboard.js";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { pollUntil } from "#test-support/time.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ env: { API_KEYS: API_KEYS_JSON, METRICS_FLUSH_MS: "50" }, worker: false });
});
afterAll(() => stack.close());

describe("GET /admin", () => {
  it("serves the page without a key, with a strict Content-Security-Policy and no caching of the page", async () => {
    const res = await fetch(`${stack.url}/admin/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const html = await res.text();
    expect(html).toContain("<title>Taskgate admin</title>");
    // No inline script: everything the page runs comes from its own hashed assets.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it("redirects /admin to /admin/, and serves the hashed assets as immutable", async () => {
    const bare = await fetch(`${stack.url}/admin`, { redirect: "manual" });
    expect(bare.status).toBe(301);
    expect(bare.headers.get("location")).toBe("/admin/");
    const html = await (await fetch(`${stack.url}/admin/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/admin\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.some((path) => path.endsWith(".js"))).toBe(true);
    expect(assets.some((path) => path.endsWith(".css"))).toBe(true);
    for (const path of assets) {
      const res = await fetch(stack.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    }
  });

  it("answers an unknown file under /admin with the usual 404 problem", async () => {
    const res = await fetch(`${stack.url}/admin/assets/nope.js`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ code: "NOT_FOUND", status: 404 });
  });

  it("leaves the data admin-only: the page's calls with a user key get 403, with no key 401", async () => {
    const call = (key?: string) => stack.request("GET", "/trpc/monitoring.queues", key === undefined ? {} : { key });
    expect((await call(USER_A.key)).status).toBe(403);
    expect((await call()).status).toBe(401);
    expect((await call(ADMIN.key)).status).toBe(200);
  });

  it("counts the dashboard's files as one route, GET /admin, not one per file", async () => {
    await fetch(`${stack.url}/admin/`);
    await fetch(`${stack.url}/admin/assets/nope.js`);
    const [metrics] = (
      await pollUntil(
        async () => (await (await stack.request("GET", "/metrics/requests", { key: ADMIN.key })).json()) as { series: Array<{ byRoute: Record<string, number> }> },
        (m) => m.series.some((bucket) => (bucket.byRoute["GET /admin"] ?? 0) >= 2),
      )
    ).slice(-1);
    const routes = new Set(metrics!.series.flatMap((bucket) => Object.keys(bucket.byRoute)));
    expect([...routes].filter((route) => route.includes("/admin"))).toEqual(["GET /admin"]);
  });
});

describe("without a dashboard build, or with DASHBOARD_ENABLED=false", () => {
  it("answers /admin with a 404 problem that says how to build it", async () => {
    const empty = mkdtempSync(join(tmpdir(), "taskgate-no-dashboard-"));
    const app = express();
    mountDashboard(app, pino({ level: "silent" }), empty);
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/admin/`);
      expect(res.status).toBe(404);
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe("NOT_FOUND");
      expect(problem.detail).toContain("npm run build");
    } finally {
      server.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("does not serve the dashboard when it is turned off", async () => {
    const off = await startStack({ env: { API_KEYS: API_KEYS_JSON, DASHBOARD_ENABLED: "false" }, worker: false });
    try {
      const res = await fetch(`${off.url}/admin/`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { detail: string }).detail).toBe("No endpoint GET /admin/.");
    } finally {
      await off.close();
    }
  });
});
