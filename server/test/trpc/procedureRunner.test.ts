/**
 * The procedure runner (trpc/procedureRunner.ts) against tRPC's own procedure function: the
 * same procedures, called both ways with the same options, must give the same data or the same
 * error (class, code, message, cause) and show every middleware the same options.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { runnerFor, type ProcedureCallOptions } from "../../src/trpc/procedureRunner.js";

interface Ctx {
  user: string;
  seen: string[];
}
const t = initTRPC.context<Ctx>().meta<{ label: string }>().create();

/** Records what each middleware was given, to compare the two ways of running the chain. */
const record = t.middleware(async (opts) => {
  opts.ctx.seen.push(JSON.stringify({ path: opts.path, type: opts.type, meta: opts.meta, input: opts.input, batchIndex: (opts as { batchIndex?: number }).batchIndex, keys: Object.keys(opts).sort() }));
  return opts.next();
});
const addRole = t.middleware(({ next }) => next({ ctx: { role: "admin" as const } }));
const swapInput = t.middleware(({ next }) => next({ input: { replaced: true } }));
const rawInputOverride = t.middleware(({ next }) => next({ getRawInput: async () => ({ n: 41 }) }));
const throwsPlain = t.middleware(() => {
  throw new Error("plain failure");
});
const throwsTrpc = t.middleware(() => {
  throw new TRPCError({ code: "FORBIDDEN", message: "no entry" });
});
const forgetsNext = t.middleware(async () => undefined as never);
const catchesDownstream = t.middleware(async ({ next }) => {
  const result = await next();
  return result.ok ? result : next({ ctx: { retried: true } });
});

let attempts = 0;
const procedures = {
  plain: t.procedure.meta({ label: "plain" }).use(record).query(({ ctx }) => `hello ${ctx.user}`),
  ctxMerge: t.procedure.use(record).use(addRole).use(record).query(({ ctx }) => ({ user: ctx.user, role: ctx.role })),
  validated: t.procedure.use(record).input(z.object({ n: z.number().int() })).use(record).mutation(({ input }) => input.n + 1),
  invalid: t.procedure.input(z.object({ n: z.number().int() })).mutation(({ input }) => input.n),
  swappedInput: t.procedure.use(swapInput).use(record).query(({ input }) => input),
  rawOverride: t.procedure.use(rawInputOverride).input(z.object({ n: z.number() })).query(({ input }) => input.n + 1),
  plainError: t.procedure.use(throwsPlain).query(() => "unreached"),
  trpcError: t.procedure.use(record).use(throwsTrpc).query(() => "unreached"),
  resolverError: t.procedure.query(() => {
    throw new TRPCError({ code: "CONFLICT", message: "taken", cause: new Error("underneath") });
  }),
  noResult: t.procedure.use(forgetsNext).query(() => "unreached"),
  retried: t.procedure.use(catchesDownstream).query(({ ctx }) => {
    attempts += 1;
    if (!(ctx as { retried?: boolean }).retried) throw new Error("first attempt fails");
    return "second attempt";
  }),
};
const appRouter = t.router(procedures);

type Outcome = { ok: true; data: unknown; seen: string[] } | { ok: false; error: { name: string; code: string; message: string; cause: string | undefined; isTrpc: boolean }; seen: string[] };

async function outcomeOf(run: (options: ProcedureCallOptions) => Promise<unknown>, path: string, rawInput: unknown): Promise<Outcome> {
  const ctx: Ctx = { user: "ana", seen: [] };
  const type = (appRouter._def.procedures as Record<string, { _def: { type: ProcedureCallOptions["type"] } }>)[path]!._def.type;
  try {
    const data = await run({ ctx, getRawInput: async () => rawInput, path, type, signal: undefined, batchIndex: 3 });
    return { ok: true, data, seen: ctx.seen };
  } catch (error) {
    const e = error as TRPCError;
    return { ok: false, error: { name: e.name, code: e.code, message: e.message, cause: e.cause?.message, isTrpc: e instanceof TRPCError }, seen: ctx.seen };
  }
}

const INPUTS: Record<string, unknown> = { validated: { n: 1 }, invalid: { n: "one" }, swappedInput: { original: true } };

describe("procedure runner", () => {
  for (const path of Object.keys(procedures)) {
    it(`runs ${path} as tRPC does`, async () => {
      const procedure = (appRouter._def.procedures as Record<string, ((options: ProcedureCallOptions) => Promise<unknown>) & { _def: object }>)[path]!;
      const runner = runnerFor(procedure._def);
      expect(runner).toBeDefined();
      attempts = 0;
      const theirs = await outcomeOf(procedure, path, INPUTS[path]);
      const theirAttempts = attempts;
      attempts = 0;
      const ours = await outcomeOf(runner!, path, INPUTS[path]);
      expect(ours).toEqual(theirs);
      expect(attempts).toBe(theirAttempts);
    });
  }

  it("sees what each case is about", async () => {
    // Guards the comparison above against comparing two empty results.
    const run = (path: string) => outcomeOf(runnerFor((appRouter._def.procedures as Record<string, { _def: object }>)[path]!._def)!, path, INPUTS[path]);
    expect(await run("ctxMerge")).toMatchObject({ ok: true, data: { user: "ana", role: "admin" } });
    expect(await run("validated")).toMatchObject({ ok: true, data: 2 });
    expect(await run("invalid")).toMatchObject({ ok: false, error: { code: "BAD_REQUEST" } });
    expect(await run("swappedInput")).toMatchObject({ ok: true, data: { replaced: true } });
    expect(await run("rawOverride")).toMatchObject({ ok: true, data: 42 });
    expect(await run("plainError")).toMatchObject({ ok: false, error: { code: "INTERNAL_SERVER_ERROR", cause: "plain failure", isTrpc: true } });
    expect(await run("noResult")).toMatchObject({ ok: false, error: { code: "INTERNAL_SERVER_ERROR" } });
    expect(await run("retried")).toMatchObject({ ok: true, data: "second attempt" });
    const plain = await run("plain");
    expect(plain.seen).toHaveLength(1);
    expect(JSON.parse(plain.seen[0]!)).toMatchObject({ path: "plain", type: "query", meta: { label: "plain" }, batchIndex: 3 });
  });

  it("leaves a procedure with a caller override to tRPC", () => {
    const overridden = t.procedure.experimental_caller(async ({ invoke, _def }) => invoke({ ctx: { user: "x", seen: [] }, getRawInput: async () => undefined, path: "p", type: _def.type, signal: undefined, batchIndex: 0 })).query(() => 1);
    expect(runnerFor((overridden as unknown as { _def: object })._def)).toBeUndefined();
    expect(runnerFor({ middlewares: [async () => ({ ok: true, data: 1 })], caller: () => undefined })).toBeUndefined();
    expect(runnerFor({ middlewares: [] })).toBeUndefined();
    expect(runnerFor({})).toBeUndefined();
  });
});
