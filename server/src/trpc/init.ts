/**
 * The tRPC instance: superjson, the public error shape (problem details in `data.problem`),
 * and `isDev: false` so stack traces never reach a response.
 */
import { initTRPC } from "@trpc/server";
import type { Problem } from "@taskgate/shared";
import type { RequestContext } from "../requestContext.js";
import { toAppError, toProblem } from "../errors/problem.js";
import type { ProcedureMeta } from "./meta.js";
import { transformer } from "./transformer.js";
import { adapterRequestId } from "./adapterRequestId.js";

export type { Access, ProcedureMeta } from "./meta.js";

/** The `data` of every tRPC error: tRPC's code and status, plus the public problem. */
export interface TaskgateErrorData {
  code: string;
  httpStatus: number;
  path?: string | undefined;
  problem: Problem;
}

export const t = initTRPC
  .context<RequestContext>()
  .meta<ProcedureMeta>()
  .create({
    transformer,
    isDev: false,
    errorFormatter({ shape, error, ctx }) {
      // No context yet when tRPC refuses a request before making one: then the id given to the request.
      const problem = toProblem(toAppError(error), ctx?.requestId ?? adapterRequestId() ?? "unknown");
      const data: TaskgateErrorData = { code: shape.data.code, httpStatus: problem.status, path: shape.data.path, problem };
      return { code: shape.code, message: problem.detail, data };
    },
  });

export const router = t.router;
export const middleware = t.middleware;
