/**
 * The SDK's methods come from the router: the generated table (procedures.generated.ts) is what
 * `npm run generate:sdk` writes for today's router, every procedure is a method of the client at
 * its path, and a procedure added to a router becomes a method with no hand-written code.
 */
import { readFileSync } from "node:fs";
import { initTRPC } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { proceduresOf, routerShape, type ProcedureMeta } from "@taskgate/server";
import { createClient } from "@taskgate/client";
import { renderSdkProcedureTable, SDK_TABLE_PATH } from "../../scripts/lib/sdkProcedureTable.js";

const REPO_ROOT = new URL("../../", import.meta.url);

describe("the SDK's generated procedure table", () => {
  it("is what `npm run generate:sdk` writes for the current router (run it after changing a procedure)", () => {
    const committed = readFileSync(new URL(SDK_TABLE_PATH, REPO_ROOT), "utf8");
    expect(committed).toBe(renderSdkProcedureTable(routerShape()));
  });

  it("gives the client a method at the path of every procedure", () => {
    const client = createClient({ baseUrl: "http://127.0.0.1:9" }) as unknown as Record<string, unknown>;
    const paths = proceduresOf(routerShape()).map(({ path }) => path);
    expect(paths.length).toBeGreaterThanOrEqual(13);
    for (const path of paths) {
      const method = path.split(".").reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], client);
      expect(typeof method, path).toBe("function");
    }
  });

  it("renders a method for a procedure added to a router, typed by kind, input and idempotency", () => {
    const t = initTRPC.meta<ProcedureMeta>().create();
    const router = t.router({
      things: t.router({
        archive: t.procedure.meta({ idempotent: true, rest: { method: "POST", path: "/things/:id/archive" }, doc: { tag: "things", summary: "Archive a thing" } }).input(z.object({ id: z.string() })).mutation(() => "ok"),
        count: t.procedure.query(() => 1),
      }),
    });
    const rendered = renderSdkProcedureTable(router);
    expect(rendered).toContain('"things.archive": { type: "mutation", input: true, idempotent: true },');
    expect(rendered).toContain('"things.count": { type: "query", input: false, idempotent: false },');
    expect(rendered).toContain('archive: InputMethod<"things.archive", CreateOptions>;');
    expect(rendered).toContain('count: NoInputMethod<"things.count">;');
    expect(rendered).toContain("/** `POST /things/:id/archive`: Archive a thing. Always idempotent");
  });
});
