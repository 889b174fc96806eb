/**
 * The blocked-request log as the monitoring API shows it, read through the rate limiter's
 * `scanBlocked` (newest first, filtered, bounded scan, paged by cursor).
 */
import type { BlockedLogPage } from "@taskgate/shared";
import { scanBlocked, type ReadBlockedFilters } from "../rateLimit/index.js";
import type { RedisClient } from "../redis/connect.js";

/** Reads one page of the blocked log. */
export async function readBlockedPage(redis: RedisClient, keyPrefix: string, filters: ReadBlockedFilters): Promise<BlockedLogPage> {
  const { entries, nextCursor } = await scanBlocked(redis, keyPrefix, filters);
  return {
    nextCursor,
    entries: entries.map((entry) => ({
      at: new Date(entry.at),
      requestId: entry.requestId,
      ip: entry.ip,
      userId: entry.userId ?? null,
      route: entry.route,
      rule: entry.rule,
      limit: entry.limit,
      windowMs: entry.windowMs,
      retryAfterMs: entry.retryAfterMs,
      shadow: entry.shadow === true,
    })),
  };
}
