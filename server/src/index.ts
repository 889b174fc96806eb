/**
 * @taskgate/server: the API. The client SDK imports only the `AppRouter` type from here.
 */
export type { AppRouter } from "./trpc/appRouter.js";
export type { TaskgateErrorData } from "./trpc/init.js";
export { createAppRouter } from "./trpc/appRouter.js";
export { createApp } from "./http/app.js";
export { startApi, type RunningApi, type StartApiOptions } from "./api.js";
export { connectRedis, type RedisClient } from "./redis/connect.js";
export { openQueues, closeQueues, defaultJobOptions, type Queues } from "./jobs/queues.js";
export { restAliasesOf, proceduresOf, routeName, type RestAlias } from "./rest/routes.js";
export { routerShape } from "./trpc/routerShape.js";
export type { ProcedureMeta, RestRoute } from "./trpc/meta.js";
