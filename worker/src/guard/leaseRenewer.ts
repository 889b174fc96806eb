/**
 * Keeps the leases of a guard's runs alive while their effects run: one timer per guard for all
 * of its runs under way, rather than a timer per run. A worker at concurrency 50 starts and
 * stops a run for every job, and a timer of its own each time was a measurable share of a job's
 * cost in `bench/worker.ts`.
 *
 * The timer checks every `renewEveryMs / 2` (leaseMs / 6) and renews each run that would
 * otherwise go more than `renewEveryMs` (leaseMs / 3) without a renewal before the next check:
 * successful renewals of a run are at most a third of its lease apart, as with a timer of its
 * own. A renewal that fails (an error, not a lost lease) is tried again at the next check, so a
 * lease survives several failed renewals in a row; one renewal per run is in flight at a time.
 */
import type { EffectGuard } from "./effectGuard.js";

/** One run whose lease is kept alive; made by `runGuarded`, read and updated here. */
export interface RenewedRun {
  queue: string;
  jobId: string;
  owner: string;
  /** When the lease was last claimed or renewed (the renewer's clock, ms); set by `start`. */
  renewedAt: number;
  /** Whether a renewal of this run is waiting for Redis's answer. */
  renewing: boolean;
  /** Called once, with `context`, when a renewal finds the lease taken over by another owner. */
  onLeaseLost: ((context: never) => void) | undefined;
  context: unknown;
}

/** The renewals of one guard's runs. */
export interface LeaseRenewer {
  /** Renews `run`'s lease until `stop(run)` or until the lease is found lost. */
  start(run: RenewedRun): void;
  /** Stops renewing `run` (again: a no-op); the timer stops with the last run. */
  stop(run: RenewedRun): void;
}

/** Builds the renewer of one guard; `now` is a monotonic clock in ms. */
export function createLeaseRenewer(guard: Pick<EffectGuard, "leaseMs" | "renew">, now: () => number = () => performance.now()): LeaseRenewer {
  const renewEveryMs = Math.max(1, Math.floor(guard.leaseMs / 3));
  const checkEveryMs = Math.max(1, Math.floor(renewEveryMs / 2));
  const runs = new Set<RenewedRun>();
  let timer: NodeJS.Timeout | undefined;

  const renew = (run: RenewedRun, sentAt: number) => {
    run.renewing = true;
    guard.renew(run.queue, run.jobId, run.owner).then(
      (renewed) => {
        run.renewing = false;
        if (!runs.has(run)) return;
        if (renewed) {
          // From when it was sent: Redis extended the lease no earlier than that.
          run.renewedAt = sentAt;
          return;
        }
        stop(run);
        run.onLeaseLost?.(run.context as never);
      },
      () => {
        // Tried again at the next check; the lease has time left.
        run.renewing = false;
      },
    );
  };

  const renewDue = () => {
    const at = now();
    for (const run of runs) {
      if (!run.renewing && at + checkEveryMs - run.renewedAt > renewEveryMs) renew(run, at);
    }
  };

  const stop = (run: RenewedRun) => {
    if (!runs.delete(run) || runs.size > 0) return;
    clearInterval(timer);
    timer = undefined;
  };

  return {
    start(run) {
      run.renewedAt = now();
      runs.add(run);
      if (timer) return;
      timer = setInterval(renewDue, checkEveryMs);
      // The effects' own promises keep the process busy; the timer alone must not.
      timer.unref();
    },
    stop,
  };
}
