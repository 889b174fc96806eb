/**
 * The tRPC context: transport-neutral facts about one request. Express, zod and node:http
 * types stay out of it, so they never leak into the client SDK's types.
 */

import type { Caller } from "@taskgate/shared";

export type { Caller };

/** One request's context, built by the HTTP layer for tRPC and REST calls alike. */
export interface RequestContext {
  requestId: string;
  /** Client IP: the socket's address, or what TRUST_PROXY allows Express to derive. */
  ip: string;
  /** The authenticated caller; null when no (or no valid) key was sent. */
  caller: Caller | null;
  /** True when a key was sent but not recognised (401 rather than "no key"). */
  badKey: boolean;
  /** True when API_KEYS is unset: every path is open and only ip/global rules apply. */
  openMode: boolean;
  /** The `Idempotency-Key` header, as sent; `null` when it was sent more than once (a 400 on an idempotent call). */
  idempotencyKey: string | null | undefined;
  /** Sets a response header (rate-limit headers, Retry-After, Idempotent-Replayed). */
  setHeader(name: string, value: string): void;
}
