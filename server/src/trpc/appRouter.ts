/**
 * The whole API as one tRPC router. `AppRouter` is the type the client SDK is built from.
 */
import type { ServerDeps } from "../serverDeps.js";
import { router } from "./init.js";
import { createProcedures } from "./procedures.js";
import { healthRouter } from "./routers/health.js";
import { jobsRouter } from "./routers/jobs.js";
import { deadJobsRouter } from "./routers/deadJobs.js";
import { monitoringRouter } from "./routers/monitoring.js";
import { rateLimitsRouter } from "./routers/rateLimits.js";

export function createAppRouter(deps: ServerDeps) {
  const procedures = createProcedures(deps);
  return router({
    health: healthRouter(deps, procedures),
    jobs: jobsRouter(deps, procedures),
    deadJobs: deadJobsRouter(deps, procedures),
    rateLimits: rateLimitsRouter(deps, procedures),
    monitoring: monitoringRouter(deps, procedures),
  });
}

/**
 * Never called. Its return type is inferred, so the compiler spells the router's type out in the
 * declaration file and `AppRouter` does not mention `ServerDeps`, which would drag Redis, BullMQ,
 * pino and zod types into the client SDK's bundled `index.d.ts`.
 */
const _appRouterType = () => createAppRouter(undefined as never);

export type AppRouter = ReturnType<typeof _appRouterType>;
