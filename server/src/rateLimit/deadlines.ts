/**
 * Timeouts for many concurrent calls that share one duration, with one timer. A timer per call
 * (`setTimeout` + `Promise.race` + `clearTimeout`) cost the limiter several µs of CPU per check;
 * here a call costs one promise and a queue slot.
 *
 * Every call gets the same duration, so deadlines are due in the order the calls started: the
 * queue stays sorted by construction and only its head can be due. The timer is armed only while
 * a call is pending (so, like a timer per call, it never outlives the calls it guards).
 */
import { performance } from "node:perf_hooks";

interface Pending {
  /** `performance.now()` value at which the call times out. */
  due: number;
  settled: boolean;
  reject: (error: Error) => void;
}

/** Races calls with a shared timeout; see `createDeadlines`. */
export interface Deadlines {
  /**
   * Resolves or rejects as `promise` does, or rejects with `onTimeout()` once the duration has
   * passed without an answer. A late settlement of `promise` is then ignored (and a late
   * rejection handled, never unhandled).
   */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Calls not yet settled (for tests). */
  readonly pending: number;
  /** Whether the shared timer is set: exactly while a call is pending (for tests). */
  readonly armed: boolean;
}

/** Shared deadlines of `ms` each; `onTimeout` makes the error a timed-out call rejects with. */
export function createDeadlines(ms: number, onTimeout: () => Error): Deadlines {
  let queue: Pending[] = [];
  let head = 0; // queue[0..head) are settled and dropped
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;

  // Drops settled entries from the head; compacts once the dropped part dominates.
  function advance(): void {
    while (head < queue.length && queue[head]!.settled) head += 1;
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 64 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  function settle(entry: Pending): void {
    entry.settled = true;
    pending -= 1;
    if (pending === 0 && timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    advance();
  }

  function fire(): void {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length && queue[head]!.due <= now) {
      const entry = queue[head]!;
      head += 1;
      if (!entry.settled) {
        entry.settled = true;
        pending -= 1;
        entry.reject(onTimeout());
      }
    }
    advance();
    // The next head is the earliest deadline still pending (timers may fire a little early).
    if (pending > 0) timer = setTimeout(fire, Math.max(1, Math.ceil(queue[head]!.due - now)));
  }

  return {
    race<T>(promise: Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const entry: Pending = { due: performance.now() + ms, settled: false, reject };
        queue.push(entry);
        pending += 1;
        timer ??= setTimeout(fire, ms);
        promise.then(
          (value) => {
            if (entry.settled) return;
            settle(entry);
            resolve(value);
          },
          (error: unknown) => {
            if (entry.settled) return;
            settle(entry);
            reject(error);
          },
        );
      });
    },
    get pending() {
      return pending;
    },
    get armed() {
      return timer !== undefined;
    },
  };
}
