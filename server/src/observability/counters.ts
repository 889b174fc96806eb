/**
 * The request counters' fields: every finished request adds 1 to `total`, `route:<route>` and
 * `status:<code>` (the exact status: operators tell a 429 from a 404) of its minute and hour
 * buckets (`@taskgate/shared/runtime`'s timeBuckets), shared by every API process.
 */

/** One finished request. */
export interface RequestSample {
  /** When it finished, in ms since the epoch; picks the buckets. */
  at: number;
  /** Route template (never the raw URL, so the field count stays bounded). */
  route: string;
  /** HTTP status sent. */
  status: number;
}

/** `2xx`, `4xx`, …: the latency histogram's label, where exact codes would multiply the series. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** The fields one request adds to its buckets: `total`, `route:<route>` and `status:<code>` (`status:429`). */
export function requestCounterFields(sample: Pick<RequestSample, "route" | "status">): string[] {
  return ["total", `route:${sample.route}`, `status:${sample.status}`];
}
