/**
 * Access control (API.md §3): a key is required unless in open mode; admin procedures need
 * an admin key. Runs first, before anything touches Redis.
 */
import { ForbiddenError, UnauthorizedError } from "../../errors/appErrors.js";
import { toTRPCError } from "../../errors/problem.js";
import { middleware } from "../init.js";

export const accessControl = middleware(({ ctx, meta, next }) => {
  const access = meta?.access ?? "user";
  if (access === "public" || ctx.openMode) return next();
  if (!ctx.caller) {
    ctx.setHeader("WWW-Authenticate", 'Bearer realm="taskgate"');
    throw toTRPCError(new UnauthorizedError(ctx.badKey ? "The API key is not valid." : undefined));
  }
  if (access === "admin" && !ctx.caller.admin) throw toTRPCError(new ForbiddenError("This endpoint needs an admin API key."));
  return next();
});
