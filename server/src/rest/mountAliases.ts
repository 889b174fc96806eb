/**
 * Serves the REST aliases the procedures declare (routes.ts): each becomes an Express route
 * that builds the same context as tRPC and calls its procedure directly (`procedureTable`).
 */
import express, { type Express, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { AppRouter } from "../trpc/appRouter.js";
import { procedureTable } from "../trpc/procedureTable.js";
import type { KeyLookup } from "@taskgate/shared";
import { buildRequestContext } from "../http/buildRequestContext.js";
import { sendProblem } from "../http/sendProblem.js";
import { jsonBody } from "../http/readBody.js";
import { hasBody, isJsonBody } from "../http/transportGuards.js";
import { UnsupportedMediaTypeError } from "../errors/appErrors.js";
import { restAliasesOf, type RestAlias } from "./routes.js";
import { paramPathMatcher, type DispatchableRoute, type StaticAliasTable } from "./staticAliasTable.js";

/** Largest JSON body, in bytes (100 kB; README "Try it", docs/OPERATIONS.md "Security"). */
export const MAX_BODY_BYTES = 100_000;

function inputOf(alias: RestAlias, req: Request): unknown {
  const params = { ...alias.route.fixedInput, ...(req.params as Record<string, string>) };
  const hasParams = Object.keys(params).length > 0;
  const source = alias.route.input ?? "none";
  if (source === "body") {
    const body: unknown = req.body;
    // A JSON array must fail validation, not be spread into an object (`[]` would read as "retry all").
    if (Array.isArray(body)) return body;
    return hasParams ? { ...(body as object), ...params } : body;
  }
  if (source === "query") return { ...(req.query as Record<string, unknown>), ...params };
  return hasParams ? params : undefined;
}

/** Finds the methods the aliases serve on a path (empty when none does): a 404 with methods is a 405. */
export function aliasMethodLookup(aliases: readonly RestAlias[]): (path: string) => string[] {
  const matchers = aliases.map((alias) => ({ method: alias.route.method, matches: paramPathMatcher(alias.route.path) }));
  return (path) => [...new Set(matchers.filter((matcher) => matcher.matches.test(path)).map((matcher) => matcher.method))];
}

/**
 * Mounts every alias of the router, each as its own Express route; those without `:params` also
 * go into `staticTable` (served from there ahead of the router walk). Answers the aliases, for
 * the 405 lookup.
 */
export function mountRestAliases(app: Express, appRouter: AppRouter, keyLookup: KeyLookup | undefined, logger: Logger, staticTable: StaticAliasTable): RestAlias[] {
  const procedures = procedureTable(appRouter);
  // The common JSON body read by the lean reader; anything else by express.json, as before.
  const json = jsonBody(MAX_BODY_BYTES, express.json({ limit: MAX_BODY_BYTES, type: ["application/json", "application/*+json"] }));
  const aliases = restAliasesOf(appRouter);
  for (const alias of aliases) {
    const { route } = alias;
    const procedure = procedures.get(alias.procedure)!;
    const handler = async (req: Request, res: Response) => {
      try {
        // A form or text body would reach validation as "no body": say what to send instead.
        if (route.input === "body" && hasBody(req) && !isJsonBody(req)) throw new UnsupportedMediaTypeError();
        const input = inputOf(alias, req);
        const output = await procedure.call(buildRequestContext(req, res, keyLookup), async () => input);
        const status = typeof route.status === "function" ? route.status(output, input) : (route.status ?? 200);
        if (route.location) res.setHeader("Location", (output as { statusUrl: string }).statusUrl);
        if (output === undefined) res.status(status).end();
        else res.status(status).json(output);
      } catch (error) {
        sendProblem(res, error, logger);
      }
    };
    const method = route.method.toLowerCase() as "get" | "post" | "put" | "delete";
    const expressRoute = app.route(route.path);
    if (route.input === "body") expressRoute[method](staticTable.skipIfServed, json, handler);
    else expressRoute[method](staticTable.skipIfServed, handler);
    // Express's Route has `dispatch` at run time; its published types leave it out.
    staticTable.addAlias(route.method, expressRoute as unknown as DispatchableRoute);
  }
  return aliases;
}
