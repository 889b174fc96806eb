/**
 * The blocked-request log: a capped Redis stream of denied requests for the monitoring API,
 * plus per-minute and per-hour counters of denials by rule and by route.
 */
import type { Cluster, Redis } from "ioredis";
import { bucketCounterCommands, runBatch, type BucketRetention, type RedisCommand } from "@taskgate/shared/runtime";
import { CONFIG_DEFAULTS, redisKeys, type Config } from "@taskgate/shared";

/** One denied request, as written to the log. */
export interface BlockedEntry {
  /** When the request was denied, in ms since the epoch (the API's clock); picks the counter buckets. */
  at: number;
  requestId: string;
  ip: string;
  /** Absent in open mode or for unauthenticated requests. */
  userId?: string | undefined;
  /** REST alias, e.g. `POST /jobs/email`. */
  route: string;
  /** Name of the reported (violated) rule. */
  rule: string;
  /** The rule's limit, in cost units. */
  limit: number;
  /** The rule's window, in ms. */
  windowMs: number;
  /** What the client was told to wait, in ms (for a shadow entry: what it would have been told). */
  retryAfterMs: number;
  /** True for a would-be denial of a shadow rule: the request passed. Default false. */
  shadow?: boolean | undefined;
}

/** An entry read back, with its stream id (`<ms>-<seq>`, Redis clock). */
export interface BlockedLogEntry extends BlockedEntry {
  /** The stream entry's id, `<ms>-<seq>`: the cursor of `scanBlocked`. */
  id: string;
  /**
   * When the entry was logged, in ms since the epoch by Redis's clock: the ms of its stream id.
   * The log is ordered, paged and filtered (`since`, `until`) by that id, so `at` agrees with
   * all three even across API processes whose clocks differ, or whose writes (sent after the
   * 429, not awaited by it) land in another order than their denials. It is within the write's
   * latency of the denial; the denying process's own clock is what picks the counter buckets.
   */
  at: number;
}

/** Options of `recordBlocked`. */
export interface RecordBlockedOptions {
  /**
   * Approximate cap of the stream, in entries; required, the config's `blockedLogMax` (default
   * 10 000). Trimming is `MAXLEN ~`: Redis drops whole macro-nodes only, so the stream may hold
   * somewhat more (typically up to ~100 entries over) in exchange for O(1) amortised trimming.
   */
  maxEntries: number;
  /** How long the blocked counters' buckets are kept after they end, in ms; required, the config's `metricsMinuteRetentionMs` and `metricsHourRetentionMs` (default 48 h, 30 days). */
  retention: BucketRetention;
}

/** The `recordBlocked` options a config gives: `blockedLogMax` and the metrics retentions. */
export function blockedLogOptions(config: Pick<Config, "blockedLogMax" | "metricsMinuteRetentionMs" | "metricsHourRetentionMs">): RecordBlockedOptions {
  return { maxEntries: config.blockedLogMax, retention: { minute: config.metricsMinuteRetentionMs, hour: config.metricsHourRetentionMs } };
}

/** Filters of `readBlocked`; all optional and combined with AND. */
export interface ReadBlockedFilters {
  /** Most entries returned; default 100, at most 1000. */
  limit?: number | undefined;
  /** Oldest time included, in ms since the epoch (compared with the stream id, i.e. Redis time). */
  since?: number | undefined;
  /** Newest time included, in ms since the epoch (compared with the stream id, i.e. Redis time). */
  until?: number | undefined;
  ip?: string | undefined;
  userId?: string | undefined;
  /** Rule name. */
  rule?: string | undefined;
  /** REST alias, e.g. `POST /jobs/email`. */
  route?: string | undefined;
  /** Most stream entries examined before giving up on filling `limit`; default the config's default `blockedLogMax` (10 000). */
  maxScan?: number | undefined;
  /**
   * `nextCursor` of the previous page: the read continues just below that stream id (so it
   * takes the place of `until`). Entries appended since do not shift the pages, unlike an
   * offset would.
   */
  cursor?: string | undefined;
}

/** One page of the log, newest first. */
export interface BlockedLogScan {
  entries: BlockedLogEntry[];
  /** Where the next (older) page starts; `null` when the scan reached the oldest entry in range. */
  nextCursor: string | null;
}

const PAGE_SIZE = 200;

/**
 * Appends a denied request to the log and counts it, in one pipelined round trip. Resolves
 * when written; rejects (never throws synchronously) on any Redis error, so the caller can
 * `.catch` it and log without ever delaying or failing the 429.
 */
export async function recordBlocked(
  redis: Redis | Cluster,
  keyPrefix: string,
  entry: BlockedEntry,
  options: RecordBlockedOptions,
): Promise<void> {
  const keys = redisKeys(keyPrefix);
  const { maxEntries, retention } = options;
  const fields: (string | number)[] = ["at", entry.at, "requestId", entry.requestId, "ip", entry.ip];
  if (entry.userId !== undefined) fields.push("userId", entry.userId);
  fields.push("route", entry.route, "rule", entry.rule, "limit", entry.limit, "windowMs", entry.windowMs, "retryAfterMs", entry.retryAfterMs);
  if (entry.shadow) fields.push("shadow", 1);
  // Shadow hits are counted apart: `total` and `rule:` stay what was really denied.
  const counted = entry.shadow ? ["shadow", `shadowRule:${entry.rule}`] : ["total", `rule:${entry.rule}`, `route:${entry.route}`];

  const commands: RedisCommand[] = [
    ["xadd", keys.blockedLog(), "MAXLEN", "~", maxEntries, "*", ...fields],
    ...bucketCounterCommands(keyPrefix, "blocked", entry.at, counted, retention),
  ];
  await runBatch(redis, commands);
}

function toEntry(id: string, flat: string[]): BlockedLogEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] as string, flat[i + 1] as string);
  const text = (name: string) => map.get(name) ?? "";
  const int = (name: string) => Number(map.get(name) ?? 0);
  const userId = map.get("userId");
  return {
    id,
    at: Number(id.slice(0, id.indexOf("-"))),
    requestId: text("requestId"),
    ip: text("ip"),
    ...(userId === undefined ? {} : { userId }),
    route: text("route"),
    rule: text("rule"),
    limit: int("limit"),
    windowMs: int("windowMs"),
    retryAfterMs: int("retryAfterMs"),
    ...(map.get("shadow") === "1" ? { shadow: true } : {}),
  };
}

function matches(entry: BlockedLogEntry, filters: ReadBlockedFilters): boolean {
  return (
    (filters.ip === undefined || entry.ip === filters.ip) &&
    (filters.userId === undefined || entry.userId === filters.userId) &&
    (filters.rule === undefined || entry.rule === filters.rule) &&
    (filters.route === undefined || entry.route === filters.route)
  );
}

/**
 * Reads the log newest first: XREVRANGE between `until` (or just below `cursor`) and `since`
 * in pages, filtering in Node, until `limit` entries match or `maxScan` entries were examined
 * (so a rare filter cannot make one read walk an unbounded stream). `nextCursor` is the last
 * id examined whenever the stream may hold more in range, even if this page came back short
 * because of `maxScan`.
 */
export async function scanBlocked(redis: Redis | Cluster, keyPrefix: string, filters: ReadBlockedFilters = {}): Promise<BlockedLogScan> {
  const key = redisKeys(keyPrefix).blockedLog();
  const limit = Math.min(Math.max(filters.limit ?? 100, 1), 1000);
  const maxScan = Math.max(filters.maxScan ?? CONFIG_DEFAULTS.blockedLogMax, 1);
  const filtered = filters.ip !== undefined || filters.userId !== undefined || filters.rule !== undefined || filters.route !== undefined;
  // A bare ms id means `<ms>-0` as a start and `<ms>-<max>` as an end: both bounds inclusive.
  const start = filters.since === undefined ? "-" : String(Math.max(0, Math.floor(filters.since)));
  let end = filters.cursor !== undefined ? `(${filters.cursor}` : filters.until === undefined ? "+" : String(Math.max(0, Math.floor(filters.until)));

  const found: BlockedLogEntry[] = [];
  let scanned = 0;
  let lastExamined: string | null = null;
  let exhausted = false;
  while (found.length < limit && scanned < maxScan) {
    // Without filters every entry counts, so ask for exactly what is missing.
    const count = Math.min(filtered ? PAGE_SIZE : limit - found.length, maxScan - scanned);
    const page = await redis.xrevrange(key, end, start, "COUNT", count);
    for (const [id, flat] of page) {
      lastExamined = id;
      const entry = toEntry(id, flat);
      if (matches(entry, filters)) found.push(entry);
      if (found.length === limit) break;
    }
    scanned += page.length;
    const last = page.at(-1);
    if (last === undefined || page.length < count) {
      exhausted = found.length < limit || lastExamined === last?.[0];
      break;
    }
    end = `(${last[0]}`; // exclusive: continue just past the last id read
  }
  return { entries: found, nextCursor: exhausted ? null : lastExamined };
}

/** `scanBlocked` without the cursor: just the entries. */
export async function readBlocked(redis: Redis | Cluster, keyPrefix: string, filters: ReadBlockedFilters = {}): Promise<BlockedLogEntry[]> {
  return (await scanBlocked(redis, keyPrefix, filters)).entries;
}
