/**
 * @taskgate/server: the API. The client SDK imports only the `AppRouter` type from here.
 */
export type { AppRouter } from "./trpc/appRouter.js";
export type { TaskgateErrorData } from "./trpc/init.js";
export { createAppRouter } from "./trpc/appRouter.js";
export { createApp } from "./http/app.js";
export { startApi, createServerDeps, type RunningApi } from "./api.js";
export { createLogger } from "./logger.js";
export { exitOnSignals } from "./signals.js";
export { connectRedis, type RedisClient } from "./redis/connect.js";
export { openQueues, closeQueues, defaultJobOptions, type Queues } from "./jobs/queues.js";
export { REST_ALIASES, routeName } from "./rest/aliases.js";
