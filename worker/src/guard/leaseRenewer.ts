/**
 * Keeps the leases of a guard's runs alive while their effects run: one timer per guard for all
 * of its runs under way, rather than a timer per run. A worker at concurrency 50 starts and
 * stops a run for every job, and a timer of its own each time was a measurable share of a job's
 * cost in `bench/worker.ts`.
 *
 * Each run is renewed once `renewEveryMs` (leaseMs / 3) have passed since its claim or its last
 * renewal, checked every `renewEveryMs / 2`: at most leaseMs / 2 pass between two renewals of a
 * run, well inside its lease.
 */
import type { EffectGuard } from "./effectGuard.js";

/** One run whose lease is kept alive; made by `runGuarded`, read here. */
export interface RenewedRun {
  queue: string;
  jobId: string;
  owner: string;
  /** When the lease was last claimed or renewed (the renewer's clock, ms); set by `start`. */
  renewedAt: number;
  /** Called once, with `context`, when a renewal finds the lease taken over by another owner. */
  onLeaseLost: ((context: never) => void) | undefined;
  context: unknown;
}

/** The renewals of one guard's runs. */
export interface LeaseRenewer {
  /** Renews `run`'s lease until `stop(run)` or until the lease is found lost. */
  start(run: RenewedRun): void;
  stop(run: RenewedRun): void;
}

/** Builds the renewer of one guard; `now` is a monotonic clock in ms. */
export function createLeaseRenewer(guard: Pick<EffectGuard, "leaseMs" | "renew">, now: () => number = () => performance.now()): LeaseRenewer {
  const renewEveryMs = Math.max(1, Math.floor(guard.leaseMs / 3));
  const runs = new Set<RenewedRun>();
  let timer: NodeJS.Timeout | undefined;

  const renewDue = () => {
    const at = now();
    for (const run of runs) {
      if (at - run.renewedAt < renewEveryMs) continue;
      run.renewedAt = at;
      guard.renew(run.queue, run.jobId, run.owner).then(
        (renewed) => {
          if (renewed || !runs.has(run)) return;
          stop(run);
          run.onLeaseLost?.(run.context as never);
        },
        // A failed renewal is tried again at the next check; the lease has time left.
        () => undefined,
      );
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
      timer = setInterval(renewDue, Math.max(1, Math.floor(renewEveryMs / 2)));
      // The effects' own promises keep the process busy; the timer alone must not.
      timer.unref();
    },
    stop,
  };
}
