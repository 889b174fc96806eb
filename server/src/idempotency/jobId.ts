/**
 * The BullMQ job id of an idempotent request, derived from its record so that enqueuing twice
 * for one record (after a crash, a lease takeover or a retry) finds the first job.
 */
import { sha256Hex } from "@taskgate/shared";

// Record ids made by the store are 32 lowercase hex characters.
const RECORD_ID = /^[0-9a-f]{32}$/;

/**
 * The job id for a record id: `idem-<recordId>` (37 characters). BullMQ 6 refuses ids that
 * contain `:` or look like integers; the `idem-` prefix rules out both. A record id of another
 * shape (not made by the store) is hashed to the same form, so the result is always safe.
 */
export function jobIdFromRecord(recordId: string): string {
  const id = RECORD_ID.test(recordId) ? recordId : sha256Hex(recordId).slice(0, 32);
  return `idem-${id}`;
}
