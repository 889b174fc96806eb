/**
 * The static alias table (rest/staticAliasTable.ts) answers exactly as Express's own router
 * walk would: the same app is built with and without the table, and every variant of a request
 * (case, trailing slash, encoding, method, non-ASCII) must reach the same handler with the same
 * status and `req.route`, or fall through to the same 404.
 */
import express, { type Express } from "express";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaticAliasTable, type DispatchableRoute } from "../../src/rest/staticAliasTable.js";

/** How often each handler ran, by app: a hit must run a route's handlers once, as the walk does. */
const handlerRuns = { table: new Map<string, number>(), walk: new Map<string, number>() };

/** An app with static routes and routes with params, optionally served through the table. */
function appWith(useTable: boolean): Express {
  const runs = useTable ? handlerRuns.table : handlerRuns.walk;
  const count = (name: string): express.RequestHandler => (_req, _res, next) => {
    runs.set(name, (runs.get(name) ?? 0) + 1);
    next();
  };
  const app = express();
  const table = createStaticAliasTable({ routes: ["/health/live"], mounts: ["/trpc"] });
  if (useTable) app.use(table.dispatch);
  // Marks a request that walked the layers after the table (a hit skips them).
  app.use((_req, res, next) => {
    res.setHeader("x-walked", "1");
    next();
  });
  app.use("/trpc", (_req, res) => {
    res.json({ by: "trpc mount" });
  });
  const routes: Array<[string, "get" | "post", express.RequestHandler[]]> = [
    ["/jobs/email", "post", [express.json(), (req, res) => void res.status(202).json({ by: "create", route: req.route?.path, body: req.body, params: req.params })]],
    ["/health", "get", [(req, res) => void res.json({ by: "health", route: req.route?.path })]],
    ["/jobs/:id", "get", [(req, res) => void res.json({ by: "status", id: req.params.id })]],
    // Shadowed by /jobs/:id, declared first: the walk never reaches it, so the table must not serve it.
    ["/jobs/special", "get", [(_req, res) => void res.json({ by: "special" })]],
    // A second alias on a path: the walk serves the first.
    ["/health", "get", [(_req, res) => void res.json({ by: "second health" })]],
    // A handler that passes the request on: Express tries the routes after it.
    ["/pass", "get", [count("pass")]],
    ["/pass", "get", [count("after pass"), (_req, res) => void res.json({ by: "after pass" })]],
  ];
  for (const [path, method, handlers] of routes) {
    const route = app.route(path);
    route[method](...(useTable ? [table.skipIfServed, ...handlers] : handlers));
    if (useTable) table.addAlias(method, route as unknown as DispatchableRoute);
  }
  app.use((req, res) => void res.status(404).json({ by: "not found", path: req.path }));
  app.use((error: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(error.status ?? 500).json({ by: "error handler" }));
  return app;
}

const servers: Array<ReturnType<Express["listen"]>> = [];
let withTable: string;
let without: string;
beforeAll(async () => {
  const listen = (app: Express) =>
    new Promise<string>((resolve) => {
      const server = app.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
      servers.push(server);
    });
  [withTable, without] = await Promise.all([listen(appWith(true)), listen(appWith(false))]);
});
afterAll(() => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))));

async function answer(origin: string, method: string, path: string, body?: string): Promise<{ status: number; body: unknown }> {
  const { status, body: answered } = await answerWithWalk(origin, method, path, body);
  return { status, body: answered };
}

async function answerWithWalk(origin: string, method: string, path: string, body?: string): Promise<{ status: number; body: unknown; walked: boolean }> {
  const response = await fetch(`${origin}${path}`, { method, ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }) });
  return { status: response.status, body: method === "HEAD" ? null : await response.json(), walked: response.headers.get("x-walked") === "1" };
}

const VARIANTS: Array<[string, string, string?]> = [
  ["POST", "/jobs/email", '{"to":"a@example.com"}'],
  ["POST", "/JOBS/Email", "{}"],
  ["POST", "/jobs/email/", "{}"],
  ["POST", "/jobs/email//", "{}"],
  ["POST", "/jobs/%65mail", "{}"],
  ["POST", "/jobs/email?x=1", "{}"],
  ["POST", "/jobs/email", "{not json"],
  ["GET", "/jobs/email"],
  ["GET", "/health"],
  ["GET", "/Health/"],
  ["HEAD", "/health"],
  ["GET", "/jobs/42"],
  ["GET", "/health%C3%A9"],
  ["GET", "/trpc/health"],
  ["GET", "/jobs/special"],
  ["GET", "/pass"],
  ["GET", "/nowhere"],
];

describe("static alias table", () => {
  for (const [method, path, body] of VARIANTS) {
    it(`answers ${method} ${path}${body ? ` ${body}` : ""} as the router walk does`, async () => {
      const [ours, theirs] = await Promise.all([answer(withTable, method, path, body), answer(without, method, path, body)]);
      expect(ours).toEqual(theirs);
    });
  }

  it("serves a hit from the table, with the route's handlers and req.route set", async () => {
    expect(await answerWithWalk(withTable, "POST", "/JOBS/email/", '{"n":1}')).toEqual({ status: 202, body: { by: "create", route: "/jobs/email", body: { n: 1 }, params: {} }, walked: false });
    expect(await answerWithWalk(withTable, "GET", "/health")).toMatchObject({ status: 200, walked: false });
    expect(await answerWithWalk(withTable, "POST", "/jobs/email", "{bad")).toEqual({ status: 400, body: { by: "error handler" }, walked: false });
    // Params, HEAD and unknown paths walk the router as before.
    for (const [method, path] of [["GET", "/jobs/42"], ["HEAD", "/health"], ["GET", "/nowhere"], ["GET", "/health%C3%A9"]] as const) {
      expect(await answerWithWalk(withTable, method, path)).toMatchObject({ walked: true });
    }
  });

  it("runs a route that passes the request on once, then the routes after it, as the walk does", async () => {
    handlerRuns.table.clear();
    handlerRuns.walk.clear();
    expect(await answer(withTable, "GET", "/pass")).toEqual({ status: 200, body: { by: "after pass" } });
    expect(await answer(without, "GET", "/pass")).toEqual({ status: 200, body: { by: "after pass" } });
    expect(Object.fromEntries(handlerRuns.table)).toEqual({ pass: 1, "after pass": 1 });
    expect(Object.fromEntries(handlerRuns.walk)).toEqual({ pass: 1, "after pass": 1 });
  });

  it("leaves to the walk a path an earlier alias with params serves, and a second alias on a path", async () => {
    expect(await answerWithWalk(withTable, "GET", "/jobs/special")).toEqual({ status: 200, body: { by: "status", id: "special" }, walked: true });
    expect(await answerWithWalk(withTable, "GET", "/health")).toMatchObject({ body: { by: "health" }, walked: false });
    const table = createStaticAliasTable({ routes: [], mounts: [] });
    const route = (path: string) => ({ path, dispatch: () => undefined });
    expect(table.addAlias("GET", route("/files/*rest"))).toBe(false);
    expect(table.addAlias("GET", route("/files/{name}"))).toBe(false);
    expect(table.addAlias("GET", route("/plain"))).toBe(true);
    expect(table.addAlias("GET", route("/Plain/"))).toBe(false);
  });

  it("refuses an alias on a path served before the aliases", () => {
    const table = createStaticAliasTable({ routes: ["/health/live", "/metrics"], mounts: ["/trpc"] });
    const route = (path: string) => ({ path, dispatch: () => undefined });
    expect(() => table.addAlias("GET", route("/health/live"))).toThrow(/served by \/health\/live/);
    expect(() => table.addAlias("GET", route("/Metrics/"))).toThrow(/served by \/metrics/);
    expect(() => table.addAlias("POST", route("/trpc/jobs"))).toThrow(/served by \/trpc/);
    expect(table.addAlias("GET", route("/metrics/requests"))).toBe(true);
    expect(table.addAlias("GET", route("/jobs/:id"))).toBe(false);
  });
});
