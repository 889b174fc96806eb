/**
 * The opaque cursor of the dead-jobs list: the position (failed-set score, job id) of the last
 * job on a page. Keyed on the position, not an offset, so pages stay stable while jobs die,
 * are retried or deleted between two requests.
 */
import { ValidationError } from "../errors/appErrors.js";

/** A place in the failed set, newest first: the score (when the job died, epoch ms) and the id. */
export interface FailedSetPosition {
  score: number;
  jobId: string;
}

/** Encodes a position as the `nextCursor` clients pass back. */
export function encodeCursor(position: FailedSetPosition): string {
  return Buffer.from(`${position.score}:${position.jobId}`, "utf8").toString("base64url");
}

const CURSOR = /^(\d{1,16}):([^:]{1,200})$/;

/** Decodes a cursor, or throws a ValidationError naming `cursor`. */
export function decodeCursor(cursor: string): FailedSetPosition {
  const match = /^[A-Za-z0-9_-]+$/.test(cursor) ? CURSOR.exec(Buffer.from(cursor, "base64url").toString("utf8")) : null;
  const score = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isSafeInteger(score)) {
    throw new ValidationError([{ path: "cursor", message: "is not a cursor from a previous page" }]);
  }
  return { score, jobId: match[2]! };
}
