/**
 * The audit log: a capped Redis stream of admin writes (policy and override changes, dead-job
 * retries and deletions), newest first, paged by stream id. Its key shares the rate limiter's
 * slot (`slotKeyPrefix`), so a policy change and its entry are written by one script.
 */
import type { Cluster, Redis } from "ioredis";
import { redisKeys } from "@taskgate/shared";
import { slotKeyPrefix } from "../redis/slotPrefix.js";

/**
 * One admin write as read back (the `auditEntry` schema of @taskgate/shared). A plain interface,
 * so the router's type, which the client SDK's declarations are bundled from, needs no zod.
 */
export interface AuditEntry {
  /** The stream id's time (Redis clock). */
  at: Date;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

/** One write to record. */
export type AuditRecord = Omit<AuditEntry, "at">;

/** Who did it: the admin key's user id, or `open-mode` when the API runs without keys. */
export function auditActor(caller: { userId: string } | null): string {
  return caller?.userId ?? "open-mode";
}

/** The audit stream's key for a prefix (`KEY_PREFIX`) on a single Redis or a cluster. */
export function auditKey(keyPrefix: string, isCluster: boolean): string {
  return redisKeys(slotKeyPrefix(keyPrefix, isCluster)).auditLog();
}

/** The stream fields of an entry, as `XADD` takes them. */
export function auditFields(entry: AuditRecord): string[] {
  return ["actor", entry.actor, "action", entry.action, "target", entry.target, "details", JSON.stringify(entry.details)];
}

/** Options of the audit log. */
export interface AuditLogOptions {
  redis: Redis | Cluster;
  /** `KEY_PREFIX`. */
  keyPrefix: string;
  /** Approximate cap, in entries (`AUDIT_LOG_MAX`, default 10 000); `MAXLEN ~` trimming. */
  maxEntries: number;
}

/** The audit log of one deployment. */
export interface AuditLog {
  /** The stream's key (for scripts that write an entry together with their change). */
  readonly key: string;
  readonly maxEntries: number;
  /** Appends one entry (one XADD). Rejects on a Redis error; the caller decides what that means. */
  record(entry: AuditRecord): Promise<void>;
  /** Newest first, `limit` entries from just below `cursor` (or the newest). */
  read(query: { limit: number; cursor?: string | undefined }): Promise<{ entries: AuditEntry[]; nextCursor: string | null }>;
}

function toEntry(id: string, flat: string[]): AuditEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i]!, flat[i + 1]!);
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(map.get("details") ?? "{}");
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) details = parsed as Record<string, unknown>;
  } catch {
    // An entry written by hand or by a broken writer: show it without details rather than fail the page.
  }
  return { at: new Date(Number(id.split("-")[0])), actor: map.get("actor") ?? "", action: map.get("action") ?? "", target: map.get("target") ?? "", details };
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { redis, maxEntries } = options;
  const key = auditKey(options.keyPrefix, redis.isCluster);
  return {
    key,
    maxEntries,
    async record(entry) {
      await redis.xadd(key, "MAXLEN", "~", maxEntries, "*", ...auditFields(entry));
    },
    async read({ limit, cursor }) {
      // One more than asked tells whether an older page exists, without a second call.
      const page = await redis.xrevrange(key, cursor === undefined ? "+" : `(${cursor}`, "-", "COUNT", limit + 1);
      const entries = page.slice(0, limit).map(([id, flat]) => toEntry(id, flat));
      return { entries, nextCursor: page.length > limit ? page[limit - 1]![0] : null };
    },
  };
}
