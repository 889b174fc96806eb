/**
 * Access control (docs/OPERATIONS.md "Security"): a key is required unless in open mode; admin procedures need
 * an admin key. Checked first (procedures.ts, `entry`), before anything touches Redis.
 */
import type { RequestContext } from "../../requestContext.js";
import { ForbiddenError, UnauthorizedError } from "../../errors/appErrors.js";
import type { Access } from "../init.js";

/**
 * Why a request may not use something of the given access level (401 or 403), or undefined
 * when it may. Sets `WWW-Authenticate` on a 401. Also used by `GET /metrics`, which is not a
 * procedure, so both follow the same rules.
 */
export function accessDenial(ctx: Pick<RequestContext, "openMode" | "caller" | "badKey" | "setHeader">, access: Access): UnauthorizedError | ForbiddenError | undefined {
  if (access === "public" || ctx.openMode) return undefined;
  if (!ctx.caller) {
    ctx.setHeader("WWW-Authenticate", 'Bearer realm="taskgate"');
    return new UnauthorizedError(ctx.badKey ? "The API key is not valid." : undefined);
  }
  if (access === "admin" && !ctx.caller.admin) return new ForbiddenError("This endpoint needs an admin API key.");
  return undefined;
}
