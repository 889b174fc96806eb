/**
 * `@taskgate/shared/runtime`: what every entry point (API, worker, `npm start`) runs on — the
 * logger factory, the SIGTERM/SIGINT handling, and the time-bucketed counters in Redis that the
 * API (requests, blocked requests) and the workers (job outcomes) write; and the answer to what
 * Node's HTTP parser refuses, for both processes' HTTP servers.
 */
export { createLogger } from "./logger.js";
export { exitOnSignals, REPEATED_SIGINT_WINDOW_MS, type SignalLogger } from "./signals.js";
export { createCounterBuffer, type CounterBuffer, type CounterBufferOptions } from "./counterBuffer.js";
export { runBatch, type RedisClient, type RedisCommand } from "./redisBatch.js";
export { bucketCounterCommands, bucketStart, type BucketRetention } from "./timeBuckets.js";
export { JOB_OUTCOME_FIELD, jobOutcomeSeries } from "./jobOutcomeCounts.js";
export { sendRawProblem } from "./clientErrors.js";
export { createHttpServer, type HttpServerOptions } from "./httpServer.js";
