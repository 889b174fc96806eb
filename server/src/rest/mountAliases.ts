/**
 * Serves the REST alias table: each row becomes an Express route that builds the same
 * context as tRPC and calls the row's procedure through `createCallerFactory`.
 */
import express, { type Express, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { AppRouter } from "../trpc/appRouter.js";
import { t } from "../trpc/init.js";
import type { KeyLookup } from "@taskgate/shared";
import { buildRequestContext } from "../http/context.js";
import { sendProblem } from "../http/sendProblem.js";
import { hasBody, isJsonBody } from "../http/transportGuards.js";
import { UnsupportedMediaTypeError } from "../errors/appErrors.js";
import { REST_ALIASES, type RestAlias } from "./aliases.js";

/** Largest JSON body, in bytes (API.md §6: 100 kB). */
export const MAX_BODY_BYTES = 100_000;

type Callable = (input: unknown) => Promise<unknown>;

function procedureOf(caller: unknown, path: string): Callable {
  let node = caller as Record<string, unknown>;
  for (const part of path.split(".")) node = node[part] as Record<string, unknown>;
  return node as unknown as Callable;
}

function inputOf(alias: RestAlias, req: Request): unknown {
  const params = { ...alias.fixedInput, ...(req.params as Record<string, string>) };
  const hasParams = Object.keys(params).length > 0;
  if (alias.input === "body") {
    const body: unknown = req.body;
    // A JSON array must fail validation, not be spread into an object (`[]` would read as "retry all").
    if (Array.isArray(body)) return body;
    return hasParams ? { ...(body as object), ...params } : body;
  }
  if (alias.input === "query") return { ...(req.query as Record<string, unknown>), ...params };
  return hasParams ? params : undefined;
}

/** A matcher of an Express path with `:params` (one segment each), for the 405 check. */
function pathMatcher(path: string): RegExp {
  const pattern = path.split("/").map((segment) => (segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/");
  return new RegExp(`^${pattern}/?$`, "i");
}

/** The methods the aliases serve on `path` (empty when none does): a 404 with methods is a 405. */
export function aliasMethodsOf(path: string): string[] {
  return [...new Set(REST_ALIASES.filter((alias) => pathMatcher(alias.path).test(path)).map((alias) => alias.method))];
}

export function mountRestAliases(app: Express, appRouter: AppRouter, keyLookup: KeyLookup | undefined, logger: Logger): void {
  const createCaller = t.createCallerFactory(appRouter);
  const json = express.json({ limit: MAX_BODY_BYTES, type: ["application/json", "application/*+json"] });
  for (const alias of REST_ALIASES) {
    const handler = async (req: Request, res: Response) => {
      try {
        // A form or text body would reach validation as "no body": say what to send instead.
        if (alias.input === "body" && hasBody(req) && !isJsonBody(req)) throw new UnsupportedMediaTypeError();
        const caller = createCaller(buildRequestContext(req, res, keyLookup));
        const output = await procedureOf(caller, alias.procedure)(inputOf(alias, req));
        const status = typeof alias.status === "function" ? alias.status(output) : (alias.status ?? 200);
        if (alias.location) res.setHeader("Location", (output as { statusUrl: string }).statusUrl);
        if (output === undefined) res.status(status).end();
        else res.status(status).json(output);
      } catch (error) {
        sendProblem(res, error, logger);
      }
    };
    const method = alias.method.toLowerCase() as "get" | "post" | "delete";
    if (alias.input === "body") app[method](alias.path, json, handler);
    else app[method](alias.path, handler);
  }
}
