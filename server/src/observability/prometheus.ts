/**
 * The API's Prometheus metrics, on a per-process Registry (never prom-client's global one, so
 * a test can build several apps): HTTP requests and latency, rate-limit decisions, idempotency
 * outcomes, queue depth by state (read from Redis on scrape), and Node's process metrics.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Logger } from "pino";
import type { Queues } from "../jobs/queues.js";
import type { RateLimitDecision } from "../rateLimit/index.js";
import type { RedisClient } from "../redis/connect.js";
import { statusClass } from "./counters.js";
import { queueJobCounts } from "./queues.js";

/** An idempotency check's result: a first use, a replay, a key in flight, or a key reused with another body. */
export type IdempotencyOutcome = "new" | "replay" | "in_use" | "mismatch";

/** The API's metrics and the hooks that move them. */
export interface ApiMetrics {
  registry: Registry;
  /** Counts a finished request by route template and status. */
  observeRequest(route: string, status: number, seconds: number): void;
  /** Counts a rate-limit decision, per matching rule. */
  observeRateLimit(decision: RateLimitDecision): void;
  /** Counts an idempotency check. */
  observeIdempotency(outcome: IdempotencyOutcome): void;
}

/** What `createApiMetrics` reads on scrape. */
export interface ApiMetricsDeps {
  redis: RedisClient;
  queues: Queues;
  logger: Logger;
}

export function createApiMetrics(deps: ApiMetricsDeps): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by route template (REST alias or tRPC procedure's alias) and status code.",
    labelNames: ["route", "status"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration, from the request's arrival to the response's last byte, by route and status class.",
    labelNames: ["route", "status_class"] as const,
    registers,
  });
  const decisions = new Counter({
    name: "rate_limit_decisions_total",
    help: "Rate-limit decisions per matching rule: allowed, denied (this rule was exceeded), denied_by_other (another rule denied), or for rule (limiter) fail_open/fail_closed when Redis did not answer.",
    labelNames: ["rule", "outcome"] as const,
    registers,
  });
  const idempotency = new Counter({
    name: "idempotency_outcomes_total",
    help: "Requests with an Idempotency-Key by outcome: new, replay, in_use (409), mismatch (422).",
    labelNames: ["outcome"] as const,
    registers,
  });
  new Gauge({
    name: "taskgate_queue_jobs",
    help: "Jobs per queue and public state (waiting, scheduled, active, retrying, completed, dead), read from Redis on scrape; the same for every API process.",
    labelNames: ["queue", "state"] as const,
    registers,
    async collect() {
      this.reset();
      try {
        for (const queue of Object.values(deps.queues)) {
          const counts = await queueJobCounts(deps.redis, queue);
          for (const [state, value] of Object.entries(counts)) this.set({ queue: queue.name, state }, value);
        }
      } catch (error) {
        // A scrape without queue depths beats a failed scrape while Redis is away.
        deps.logger.debug({ err: error }, "could not read queue depths for /metrics");
      }
    },
  });

  return {
    registry,
    observeRequest(route, status, seconds) {
      requests.inc({ route, status: String(status) });
      duration.observe({ route, status_class: statusClass(status) }, seconds);
    },
    observeRateLimit(decision) {
      if (decision.failure) {
        decisions.inc({ rule: "(limiter)", outcome: decision.allowed ? "fail_open" : "fail_closed" });
        return;
      }
      for (const outcome of decision.outcomes) {
        decisions.inc({ rule: outcome.name, outcome: decision.allowed ? "allowed" : outcome.allowed ? "denied_by_other" : "denied" });
      }
      // A shadow rule's would-be denial of an admitted request (docs/RATE_LIMITING.md).
      for (const outcome of decision.shadowed) decisions.inc({ rule: outcome.name, outcome: "shadow_denied" });
    },
    observeIdempotency(outcome) {
      idempotency.inc({ outcome });
    },
  };
}
