/**
 * The request id of the request tRPC's own adapter is serving, for the errors it raises before it
 * has made a context (a batch over TRPC_MAX_BATCH, queries and mutations in one batch, connection
 * parameters that do not parse), whose problem would otherwise carry no id. Only the adapter's
 * fallback path runs in it; the fast path and the REST aliases have their context from the start.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const adapterRequest = new AsyncLocalStorage<string>();

/** Runs `serve` (tRPC's adapter on one request) with `requestId` as the id its errors carry. */
export function runWithRequestId<T>(requestId: string, serve: () => T): T {
  return adapterRequest.run(requestId, serve);
}

/** The id `runWithRequestId` gave the request being served, if any. */
export function adapterRequestId(): string | undefined {
  return adapterRequest.getStore();
}
