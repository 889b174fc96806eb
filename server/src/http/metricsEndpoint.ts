/**
 * `GET /metrics`: the Prometheus text exposition of this API process, admin only under the
 * same rules as the admin procedures (401/403 as problem details).
 */
import type { Request, Response } from "express";
import type { Logger } from "pino";
import type { KeyLookup } from "@taskgate/shared";
import type { ApiMetrics } from "../observability/index.js";
import { accessDenial } from "../trpc/middleware/access.js";
import { buildRequestContext } from "./buildRequestContext.js";
import { sendProblem } from "./sendProblem.js";

export interface MetricsEndpointDeps {
  metrics: ApiMetrics;
  keyLookup: KeyLookup | undefined;
  logger: Logger;
}

export function createMetricsEndpoint(deps: MetricsEndpointDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const denial = accessDenial(buildRequestContext(req, res, deps.keyLookup), "admin");
    if (denial) return sendProblem(res, denial, deps.logger);
    try {
      const text = await deps.metrics.registry.metrics();
      res.status(200).setHeader("Content-Type", deps.metrics.registry.contentType);
      res.send(text);
    } catch (error) {
      sendProblem(res, error, deps.logger);
    }
  };
}
