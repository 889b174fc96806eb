/**
 * API-key lookup, shared by the API and the worker's metrics endpoint: finds the caller for a
 * presented key in constant time per key, so the comparison's timing does not tell an attacker
 * how much of a key was right. (Hashing only; no I/O.)
 */
import { timingSafeEqual } from "node:crypto";
import type { ApiKeyEntry } from "./config.js";
import { sha256Bytes } from "./sha256.js";

/** Who is calling, from their API key. */
export interface Caller {
  userId: string;
  tier: string | undefined;
  admin: boolean;
  /** The API key itself, for `apiKey` rate-limit rules (hashed before it reaches Redis). */
  apiKey: string;
}

/** Looks up keys; `undefined` result = unknown key. */
export type KeyLookup = (presented: string) => Caller | undefined;

const digest = sha256Bytes;

/** Builds a lookup over the configured keys. */
export function createKeyLookup(entries: readonly ApiKeyEntry[]): KeyLookup {
  // Comparing fixed-length digests keeps timingSafeEqual's length requirement and hides key length.
  const table = entries.map((entry) => ({ entry, hash: digest(entry.key) }));
  return (presented) => {
    const hash = digest(presented);
    let found: ApiKeyEntry | undefined;
    for (const row of table) if (timingSafeEqual(row.hash, hash)) found = row.entry;
    return found && { userId: found.userId, tier: found.tier, admin: found.admin === true, apiKey: found.key };
  };
}

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(authorization: string | undefined, xApiKey: string | undefined): string | undefined {
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  return xApiKey?.trim() || undefined;
}
