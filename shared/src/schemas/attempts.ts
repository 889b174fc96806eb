/**
 * A job's attempt history. The worker appends one line per failed attempt to the job's
 * BullMQ log (so it lives and dies with the job); status and dead-job views read it back.
 */

/** One failed attempt, as stored. */
export interface AttemptRecord {
  /** When the attempt failed, epoch ms. */
  at: number;
  /** What went wrong, in words a person understands. */
  error: string;
  /** SMTP reply code, where the failure came from an SMTP server. */
  responseCode?: number | undefined;
  /** True when the failure is permanent and the job went dead without further attempts. */
  nonRetryable: boolean;
}

const MARK = "attempt ";

/** The log line for an attempt. */
export function encodeAttemptLog(record: AttemptRecord): string {
  return MARK + JSON.stringify(record);
}

/** The attempts among a job's log lines, oldest first; other lines and damaged ones are skipped. */
export function decodeAttemptLogs(lines: readonly string[]): AttemptRecord[] {
  const records: AttemptRecord[] = [];
  for (const line of lines) {
    if (!line.startsWith(MARK)) continue;
    try {
      const value = JSON.parse(line.slice(MARK.length)) as Partial<AttemptRecord>;
      if (typeof value.at === "number" && typeof value.error === "string") {
        records.push({ at: value.at, error: value.error, responseCode: typeof value.responseCode === "number" ? value.responseCode : undefined, nonRetryable: value.nonRetryable === true });
      }
    } catch {
      // A damaged line is not worth failing a status read over.
    }
  }
  return records;
}

/**
 * Whether a dead job died of a permanent failure rather than by running out of attempts: its last
 * recorded attempt says so, or, with no attempt recorded, it died with attempts left.
 */
export function diedNonRetryable(attempts: readonly AttemptRecord[], attemptsMade: number, maxAttempts: number): boolean {
  const last = attempts.at(-1);
  return last ? last.nonRetryable : attemptsMade < maxAttempts;
}
