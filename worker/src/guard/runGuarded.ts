/**
 * Runs one job's effect under the execution guard: claim, run while renewing the lease, mark
 * done; or skip it (already done), or throw `EffectBusyError` (another run is on it).
 */
import type { EffectGuard } from "./effectGuard.js";
import { EffectBusyError } from "./errors.js";
import { createLeaseRenewer, type LeaseRenewer, type RenewedRun } from "./leaseRenewer.js";

/**
 * Test seam: runs after the effect succeeded and before the done mark. A test throws from it to
 * simulate a crash in the one window where a duplicate is possible. Production code leaves it unset.
 */
export type AfterEffectHook = () => Promise<void>;

/**
 * Options of `runGuarded`. `C` is the run's own data (`context`), handed to its callbacks, so a
 * caller running many jobs can pass the same callbacks to every run instead of making closures
 * for each.
 */
export interface RunGuardedOptions<R, C = undefined> {
  /** The guard from `createEffectGuard`; its `leaseMs` sets the renewal period (leaseMs / 3). */
  guard: EffectGuard;
  /** Queue of the job. */
  queue: string;
  /** Id of the job; the effect record is per queue and job id. */
  jobId: string;
  /**
   * Token unique to THIS run of the job (e.g. a random UUID per processor call). Never the job
   * id: two runs with the same owner share a claim, and both would send.
   */
  owner: string;
  /** Handed to `effect`, `onLeaseLost` and `onDoneMarkFailed`. Default: undefined. */
  context?: C;
  /** The effect, e.g. sending the mail. Its result should be JSON-serializable. */
  effect: (context: C) => Promise<R>;
  /**
   * Longest wait for the effect, in ms. Past it, `runGuarded` rejects with `timeoutError()`, but
   * the effect may still be running (a send cannot be called back): its lease stays renewed
   * until it settles, and then it is marked done if it succeeded (late, but it happened) or
   * released if it definitely did not, as it would have been in time. Meanwhile another run of
   * the job finds the lease held and waits (`EffectBusyError`), instead of taking over once the
   * lease ran out and doing it a second time. Default: no limit.
   */
  timeoutMs?: number;
  /** The error a timed-out run rejects with. Default: an `Error` saying so. */
  timeoutError?: () => Error;
  /**
   * Given, when the effect timed out, the promise of its settling (done mark or release; never
   * rejects), so a shutdown can wait for it rather than leave a lease that runs out while the
   * effect may still happen. Default: none.
   */
  onLateEffect?: (settled: Promise<void>, context: C) => void;
  /**
   * Whether a failure of the effect proves it did not happen (connection refused, rejected before
   * DATA), so the claim is released and the retry may send at once. Default: never (every failure
   * is ambiguous, and the claim stays until its lease runs out). If it throws, the failure counts
   * as ambiguous.
   */
  isDefinitelyNotSent?: (error: unknown) => boolean;
  /** Called once if a renewal finds the lease taken over by another owner (for logging). */
  onLeaseLost?: (context: C) => void;
  /** Test seam; see `AfterEffectHook`. Default: none. */
  afterEffect?: AfterEffectHook;
  /**
   * How the done mark is sent. `"awaited"` (default): `runGuarded` returns once Redis has
   * answered it, and throws if it failed. `"ordered"`: it hands the mark to the guard's
   * connection (`guard.markDoneInOrder`) and returns without waiting for the answer. Only correct
   * when whatever must come after the mark (BullMQ's completion of the job) is sent later on the
   * SAME connection of a single Redis, which applies one connection's commands in the order sent;
   * `worker.ts` checks that before asking for it. A guard without `markDoneInOrder` (a Cluster's,
   * a stand-in) gets the awaited mark.
   */
  doneMark?: "awaited" | "ordered";
  /**
   * With `doneMark: "ordered"`: called once if the done mark failed (an error reply, or its
   * connection closed before answering); by then `runGuarded` has normally returned. Default:
   * none. What a failure means: docs/OPERATIONS.md, "The guarantees".
   */
  onDoneMarkFailed?: (error: unknown, context: C) => void;
}

/** What `runGuarded` did. */
export interface RunGuardedResult<R> {
  /**
   * The effect's result; when `deduplicated`, the result the effect's first run stored, after a
   * JSON round-trip (so only JSON-shaped results come back as they went in).
   */
  result: R;
  /** True when the effect was already done and was not run again. */
  deduplicated: boolean;
  /** True when this run took over from an owner whose lease ran out (it may have sent). */
  reclaimed: boolean;
}

/**
 * Runs `effect` at most once per (queue, jobId) unless a run dies between the effect and its done
 * mark. Throws `EffectBusyError` when another run holds the lease; rethrows the effect's errors.
 */
export async function runGuarded<R, C = undefined>(options: RunGuardedOptions<R, C>): Promise<RunGuardedResult<R>> {
  const { guard, queue, jobId, owner } = options;

  const claim = await guard.claim(queue, jobId, owner);
  if (claim.kind === "done") {
    return { result: claim.result as R, deduplicated: true, reclaimed: false };
  }
  if (claim.kind === "busy") {
    throw new EffectBusyError(queue, jobId, claim.retryAfterMs);
  }

  const renewer = renewerOf(guard);
  const run: RenewedRun = { queue, jobId, owner, renewedAt: 0, renewing: false, onLeaseLost: options.onLeaseLost, context: options.context };
  renewer.start(run);
  // Set once the effect timed out: from then on its own settling ends the run (`settleLate`).
  let late = false;
  try {
    let result: R;
    let effect: Promise<R>;
    try {
      effect = options.effect(options.context as C);
    } catch (error) {
      effect = Promise.reject(error);
    }
    try {
      result = options.timeoutMs === undefined ? await effect : await withTimeout(effect, options.timeoutMs, () => (late = true));
    } catch (error) {
      if (late) {
        const settled = settleLate(options, effect, () => renewer.stop(run));
        options.onLateEffect?.(settled, options.context as C);
        throw options.timeoutError?.() ?? new Error(`the effect took longer than ${options.timeoutMs} ms`);
      }
      if (definitelyNotSent(options, error)) {
        renewer.stop(run);
        await releaseClaim(options);
      }
      throw error;
    }
    await options.afterEffect?.();
    renewer.stop(run);
    // A false reply means another run marked it done first; the effect happened either way.
    if (options.doneMark === "ordered" && guard.markDoneInOrder) {
      const { written, reply } = guard.markDoneInOrder(queue, jobId, owner, result);
      reply.catch((error: unknown) => reportDoneMarkFailure(options, error));
      // Not Redis's answer: only until the mark is in the connection's write path, ahead of
      // anything the caller sends next (one event-loop tick when batched, none otherwise).
      await written;
    } else {
      await guard.markDone(queue, jobId, owner, result);
    }
    return { result, deduplicated: false, reclaimed: claim.kind === "reclaimed" };
  } finally {
    if (!late) renewer.stop(run);
  }
}

/** Rejects (after calling `onTimeout`) when `ms` pass before `work` settles; else settles as it does. */
function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error("timed out"));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * What a timed-out effect's run does once the effect settles, its lease renewed until then:
 * done mark on success (awaited: no completion follows it), release when it definitely did not
 * happen, else nothing (the lease runs out). Never rejects.
 */
async function settleLate<R, C>(options: RunGuardedOptions<R, C>, effect: Promise<R>, stopRenewing: () => void): Promise<void> {
  const { guard, queue, jobId, owner } = options;
  try {
    const result = await effect;
    stopRenewing();
    await guard.markDone(queue, jobId, owner, result).catch((error: unknown) => reportDoneMarkFailure(options, error));
  } catch (error) {
    stopRenewing();
    if (definitelyNotSent(options, error)) await releaseClaim(options);
  }
}

/** Lets go of the run's claim after an effect that definitely did not happen; never rejects. */
async function releaseClaim<C>(options: RunGuardedOptions<unknown, C>): Promise<void> {
  // Best effort: if the release fails, the lease runs out and the retry takes over later.
  await options.guard.release(options.queue, options.jobId, options.owner).catch(() => false);
}

/** One lease renewer per guard, made on its first run (see `leaseRenewer.ts`). */
const renewers = new WeakMap<EffectGuard, LeaseRenewer>();

function renewerOf(guard: EffectGuard): LeaseRenewer {
  let renewer = renewers.get(guard);
  if (!renewer) {
    renewer = createLeaseRenewer(guard);
    renewers.set(guard, renewer);
  }
  return renewer;
}

function reportDoneMarkFailure<C>(options: RunGuardedOptions<unknown, C>, error: unknown): void {
  try {
    options.onDoneMarkFailed?.(error, options.context as C);
  } catch {
    // A throwing reporter must not become an unhandled rejection.
  }
}

function definitelyNotSent<C>(options: RunGuardedOptions<unknown, C>, error: unknown): boolean {
  try {
    return options.isDefinitelyNotSent?.(error) === true;
  } catch {
    return false;
  }
}
