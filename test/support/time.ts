/**
 * Waiting in tests: `sleep` (owned by scripts/lib, which the scripts share) and `pollUntil`,
 * which waits on a condition instead of guessing a duration.
 */
import { sleep } from "../../scripts/lib/sleep.js";

export { sleep };

/** Polls `read` until `accept` holds, or fails after `timeoutMs`. Returns every distinct value seen. */
export async function pollUntil<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000, everyMs = 50): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (seen.length === 0 || JSON.stringify(seen.at(-1)) !== JSON.stringify(value)) seen.push(value);
    if (accept(value)) return seen;
    if (Date.now() > deadline) throw new Error(`condition not reached; saw ${JSON.stringify(seen.slice(-5))}`);
    await sleep(everyMs);
  }
}
