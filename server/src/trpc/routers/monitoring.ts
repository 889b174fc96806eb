/**
 * `monitoring.*` (admin only): the blocked-request log, queue overviews, and the time-bucketed
 * request and blocked-request counters. Thin: the readers live in `observability/`.
 */
import { blockedQueryInput, counterSeriesInput } from "@taskgate/shared";
import type { ServerDeps } from "../../deps.js";
import { queuesOverview, readBlockedMetrics, readBlockedPage, readRequestMetrics } from "../../observability/index.js";
import { router } from "../init.js";
import type { createProcedures } from "../procedures.js";

type Procedures = ReturnType<typeof createProcedures>;

export function monitoringRouter(deps: ServerDeps, p: Procedures) {
  const admin = p.limited.meta({ access: "admin" });
  const { redis, queues } = deps;
  const { keyPrefix } = deps.config;
  return router({
    blocked: admin.input(blockedQueryInput).query(({ input }) => readBlockedPage(redis, keyPrefix, input)),
    queues: admin.query(() => queuesOverview(redis, queues)),
    requestMetrics: admin.input(counterSeriesInput).query(({ input }) => readRequestMetrics(redis, keyPrefix, input)),
    blockedMetrics: admin.input(counterSeriesInput).query(({ input }) => readBlockedMetrics(redis, keyPrefix, input)),
  });
}
