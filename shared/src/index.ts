/**
 * @taskgate/shared: the contract between Taskgate's server, worker and client — zod schemas,
 * config schema, queue names, Redis key builders and error codes. No I/O.
 */
export * from "./errors.js";
export * from "./queues.js";
export * from "./keys.js";
export * from "./config.js";
export * from "./schemas/email.js";
export * from "./schemas/jobs.js";
export * from "./schemas/rateLimit.js";
export * from "./schemas/attempts.js";
export * from "./schemas/deadJobs.js";
export * from "./schemas/monitoring.js";
export * from "./schemas/policy.js";
export * from "./apiKeys.js";
export * from "./sha256.js";
export * from "./ipAddress.js";
