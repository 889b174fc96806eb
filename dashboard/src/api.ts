/**
 * The dashboard talks to the API through the same typed client as every other consumer (the
 * SDK's `createClient`, tRPC over HTTP), with the admin key from the session.
 */
import { createClient, TaskgateError, type TaskgateClient } from "@taskgate/client";

export type { TaskgateClient };
export { TaskgateError };

type Output<F> = F extends (...args: never[]) => Promise<infer T> ? T : never;
export type QueuesOverview = Output<TaskgateClient["monitoring"]["queues"]>;
export type QueueOverview = QueuesOverview["queues"][number];
export type DeadJobsPage = Output<TaskgateClient["deadJobs"]["list"]>;
export type DeadJobSummary = DeadJobsPage["jobs"][number];
export type DeadJobDetail = Output<TaskgateClient["deadJobs"]["get"]>;
export type BlockedPage = Output<TaskgateClient["monitoring"]["blocked"]>;
export type BlockedEntry = BlockedPage["entries"][number];
export type RequestMetrics = Output<TaskgateClient["monitoring"]["requestMetrics"]>;
export type BlockedMetrics = Output<TaskgateClient["monitoring"]["blockedMetrics"]>;
export type RateLimitPolicy = Output<TaskgateClient["rateLimits"]["policy"]["get"]>;
export type PolicyRule = RateLimitPolicy["rules"][number];
export type PolicyOverride = RateLimitPolicy["overrides"][number];
export type AuditPage = Output<TaskgateClient["monitoring"]["audit"]>;
export type AuditEntry = AuditPage["entries"][number];

/** Longest one API call may take before the page gives up on it and says so, in ms (10 s). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** fetch with a deadline: a stalled connection (a sleeping laptop, a proxy) must not stop the refreshes for good. */
const fetchWithTimeout: typeof fetch = (input, init) => {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return globalThis.fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
};

/**
 * A client for the API this page was served by; without a key, for a server in open mode. One
 * attempt per call: the page refreshes on its own anyway.
 */
export function createDashboardClient(apiKey: string | undefined): TaskgateClient {
  return createClient({ baseUrl: window.location.origin, ...(apiKey === undefined ? {} : { apiKey }), retry: { attempts: 1 }, fetch: fetchWithTimeout });
}

/** True when the key itself is the problem (unknown, or not an admin's): retrying cannot help. */
export function isKeyError(error: unknown): error is TaskgateError {
  return error instanceof TaskgateError && (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN");
}

/** A sentence for a failed call, with the server's code and request id when there is one. */
export function describeError(error: unknown): string {
  if (error instanceof TaskgateError) {
    if (error.code === "FORBIDDEN") return "This API key is not an admin key: the dashboard needs a key with \"admin\": true in API_KEYS.";
    if (error.code === "UNAUTHORIZED") return "This API key is not known to the server.";
    const request = error.requestId ? ` (request ${error.requestId})` : "";
    return `${error.message} [${error.code}]${request}`;
  }
  return error instanceof Error ? error.message : String(error);
}
