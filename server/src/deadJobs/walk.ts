/**
 * Walking every dead job a filter matches, for the bulk writes (retry-all, delete-many): in
 * steps of at most `batchSize` examined jobs (filter.ts bounds each), yielding to the event
 * loop between steps, from where the failed set stood when the walk began.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Queue } from "bullmq";
import type { DeadJobsDeps } from "./deadJobsDeps.js";
import type { FailedSetPosition } from "./cursor.js";
import { scanFiltered, type DeadJobFilter } from "./filter.js";

/** Calls `visit` with each step's matching job ids, newest first; resolves when the walk is done. */
export async function forEachMatching(deps: DeadJobsDeps, queue: Queue, filter: DeadJobFilter, batchSize: number, visit: (jobIds: string[]) => Promise<void>): Promise<void> {
  let after: FailedSetPosition | undefined;
  for (let step = 0; ; step++) {
    if (step > 0) await nextTurn();
    const scan = await scanFiltered(deps.redis, queue, filter, after, batchSize, batchSize);
    if (scan.matches.length > 0) await visit(scan.matches.map((entry) => entry.jobId));
    if (!scan.next) return;
    after = scan.next;
  }
}
