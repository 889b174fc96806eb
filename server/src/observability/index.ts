/**
 * Observability: request counters in shared Redis time buckets, Prometheus metrics and the
 * `/metrics` endpoint, the access log line, and the readers behind `monitoring.*`.
 */
export { createApiMetrics, type ApiMetrics, type ApiMetricsDeps, type IdempotencyOutcome } from "./prometheus.js";
export { createRequestObserver, observeRequests, type RequestObserverDeps } from "./requestObserver.js";
export { createRouteResolver, TRPC_BATCH_ROUTE, TRPC_UNKNOWN_ROUTE, UNMATCHED_ROUTE } from "./routeOf.js";
export { createMetricsEndpoint, type MetricsEndpointDeps } from "./metricsEndpoint.js";
export { bucketCounterCommands, bucketStart, requestCounterFields, statusClass, type BucketRetention, type RequestSample } from "./counters.js";
export { createCounterBuffer, type CounterBuffer } from "./counterBuffer.js";
export { bucketStarts, fieldsUnder, readBlockedMetrics, readBuckets, readRequestMetrics, type RawBucket, type SeriesRange } from "./readSeries.js";
export { minuteCounts, queueJobCounts, queueOverview, queuesOverview, MAX_DELAYED_EXAMINED, QUEUE_MINUTES } from "./queues.js";
export { readBlockedPage } from "./blocked.js";
export { countRetryingScript, type CountRetryingCommands } from "./scripts.js";
