/**
 * The audit entry of an admin write that has already happened (dead-job retries and deletions,
 * an admin's cancel or reschedule of someone's job). The write stands either way: it is not
 * atomic with BullMQ's own write, unlike policy changes, whose script writes the entry with the
 * change. So a failed entry is logged as an error and does not fail the request.
 */
import type { Logger } from "pino";
import type { AuditLog, AuditRecord } from "./auditLog.js";

/** What recording a done write needs. */
export interface RecordWriteDeps {
  audit: Pick<AuditLog, "record">;
  logger: Pick<Logger, "error">;
}

/** Records `entry`; resolves once it is written or its failure logged, never rejects. */
export async function recordWrite(deps: RecordWriteDeps, entry: AuditRecord): Promise<void> {
  await deps.audit.record(entry).catch((error: unknown) => deps.logger.error({ err: error, action: entry.action, target: entry.target }, "could not write the audit entry of an admin write"));
}
