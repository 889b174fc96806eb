/**
 * `monitoring.*` (admin only): the blocked-request log, queue overviews, and the time-bucketed
 * request and blocked-request counters. Thin: the readers live in `observability/`. REST aliases
 * and docs are declared in each procedure's meta; times in query strings are ISO 8601 or epoch ms.
 */
import { auditPage, auditQueryInput, blockedLogPage, blockedMetrics, blockedQueryInput, counterSeriesInput, queuesOverview as queuesOverviewSchema, requestMetrics } from "@taskgate/shared";
import type { ServerDeps } from "../../serverDeps.js";
import { queuesOverview, readBlockedMetrics, readBlockedPage, readRequestMetrics } from "../../observability/index.js";
import { router } from "../init.js";
import type { Procedures } from "../procedures.js";

export function monitoringRouter(deps: ServerDeps, p: Procedures) {
  const { redis, queues } = deps;
  const { keyPrefix } = deps.config;
  return router({
    /** `GET /monitoring/audit` (admin): every admin write, newest first, paged by cursor. */
    audit: p.admin
      .meta({
        rest: { method: "GET", path: "/monitoring/audit", input: "query" },
        doc: {
          tag: "monitoring",
          summary: "Audit log",
          description:
            "Admin. Every admin write (policy and override changes, dead-job retries and deletions) with its actor (the admin key's user id, `open-mode`, or `config`), action, target and details (before and after), newest first. Capped at AUDIT_LOG_MAX entries. Pages: pass `nextCursor` as `cursor`.",
          output: { name: "AuditPage", schema: auditPage },
        },
      })
      .input(auditQueryInput)
      .query(({ input }) => deps.audit.read(input)),
    /** `GET /monitoring/rate-limits/blocked` (admin): blocked requests, newest first, filterable. */
    blocked: p.admin
      .meta({
        rest: { method: "GET", path: "/monitoring/rate-limits/blocked", input: "query" },
        doc: {
          tag: "monitoring",
          summary: "Blocked requests",
          description:
            "Admin. The capped log of requests the rate limiter denied, newest first. Times are ISO 8601 or epoch ms. Pages: pass the answer's `nextCursor` as `cursor` for older entries; `null` means none are left in range.",
          output: { name: "BlockedLogPage", schema: blockedLogPage },
        },
      })
      .input(blockedQueryInput)
      .query(({ input }) => readBlockedPage(redis, keyPrefix, input)),
    /** `GET /monitoring/queues` (admin): counts by state and outcomes per minute, per queue. */
    queues: p.admin
      .meta({
        rest: { method: "GET", path: "/monitoring/queues" },
        doc: {
          tag: "monitoring",
          summary: "Queues overview",
          description: "Admin. Per queue: jobs by state, and completed/dead per minute over the last hour.",
          output: { name: "QueuesOverview", schema: queuesOverviewSchema },
        },
      })
      .query(() => queuesOverview(redis, keyPrefix, queues)),
    /** `GET /metrics/requests` (admin): request counters in time buckets. */
    requestMetrics: p.admin
      .meta({
        rest: { method: "GET", path: "/metrics/requests", input: "query" },
        doc: {
          tag: "monitoring",
          summary: "Request counters",
          description: "Admin. Requests per time bucket, by route and by exact status code (`202`, `429`). Times are ISO 8601 or epoch ms.",
          output: { name: "RequestMetrics", schema: requestMetrics },
        },
      })
      .input(counterSeriesInput)
      .query(({ input }) => readRequestMetrics(redis, keyPrefix, input)),
    /** `GET /metrics/blocked` (admin): blocked-request counters in time buckets. */
    blockedMetrics: p.admin
      .meta({
        rest: { method: "GET", path: "/metrics/blocked", input: "query" },
        doc: {
          tag: "monitoring",
          summary: "Blocked-request counters",
          description: "Admin. Blocked requests per time bucket, by rule and by route. Times are ISO 8601 or epoch ms.",
          output: { name: "BlockedMetrics", schema: blockedMetrics },
        },
      })
      .input(counterSeriesInput)
      .query(({ input }) => readBlockedMetrics(redis, keyPrefix, input)),
  });
}
