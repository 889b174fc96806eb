/**
 * Observability: request counters in shared Redis time buckets, Prometheus metrics, and the
 * readers behind `monitoring.*`. The Express side (the access log line and counting on response
 * finish, `GET /metrics`, route names) is transport and lives in `http/`.
 */
export { createApiMetrics, type ApiMetrics, type ApiMetricsDeps, type IdempotencyOutcome } from "./prometheus.js";
export { requestCounterFields, statusClass, type RequestSample } from "./counters.js";
export { bucketStarts, fieldsUnder, readBlockedMetrics, readBuckets, readRequestMetrics, type RawBucket, type SeriesRange } from "./readSeries.js";
export { queueJobCounts, queueOverview, queuesOverview, MAX_DELAYED_EXAMINED, QUEUE_MINUTES } from "./queues.js";
export { readBlockedPage } from "./blocked.js";
export { countRetryingScript, type CountRetryingCommands } from "./scripts.js";
