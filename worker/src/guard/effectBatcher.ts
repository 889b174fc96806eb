/**
 * Coalesces the claims and done marks that concurrent jobs issue in one event-loop turn into one
 * `effectBatch` call (`lua/effectBatch-n.lua`), so N jobs finishing together cost Redis and Node
 * one script call instead of N. Each operation keeps its own reply; a turn with one operation
 * sends the single-operation script, as before.
 *
 * Only for a single Redis: under Redis Cluster the keys of one call must share a hash slot, and
 * effect keys (`tg:effect:<queue>:<jobId>`) carry no hash tag, so concurrent jobs' keys are
 * spread over the slots and a batch would almost never hold more than one of them.
 *
 * A done mark that must reach Redis before a later command of its caller (the worker's
 * completion of the job, see `runGuarded`'s `doneMark: "ordered"`) uses `doneInOrder`: its
 * `written` promise resolves as soon as the call carrying it has been handed to the connection,
 * so whatever the caller sends on that connection afterwards is queued behind it.
 */
import type { EffectClaimReply, EffectGuardCommands } from "./scripts.js";

/** Most operations sent in one call (100): bounds how long one script holds Redis (~2 ms). */
export const DEFAULT_MAX_BATCH_OPS = 100;

/** Options of `createEffectBatcher`. */
export interface EffectBatcherOptions {
  /** Client with the guard's scripts registered (`defineLuaCommands(client, effectGuardScripts)`). */
  commands: EffectGuardCommands;
  /** Lease of every claim, in ms. */
  leaseMs: number;
  /** Lifetime of every record written, in ms. */
  ttlMs: number;
  /** Most operations in one call; a busier turn sends several calls. Default 100 (operations). */
  maxBatchOps?: number;
}

/** Sends claims and done marks, batched per event-loop turn. */
export interface EffectBatcher {
  /** `effectClaim` of one key: resolves with that script's reply, or rejects as its call would. */
  claim(key: string, owner: string): Promise<EffectClaimReply>;
  /** `effectDone` of one key: resolves with that script's reply, or rejects as its call would. */
  done(key: string, owner: string, resultJson: string): Promise<0 | 1>;
  /**
   * `done`, plus `written`: resolves (never rejects) once the call carrying this done mark has
   * been handed to the connection, at the end of the turn's flush. A command the caller issues
   * on the same connection after that is sent, and so applied by Redis, after the done mark.
   */
  doneInOrder(key: string, owner: string, resultJson: string): { written: Promise<void>; reply: Promise<0 | 1> };
}

interface Pending {
  op: "claim" | "done";
  key: string;
  owner: string;
  /** Result JSON of a done mark; "" for a claim. */
  resultJson: string;
  resolve: (reply: unknown) => void;
  reject: (error: unknown) => void;
  /** Set by `doneInOrder`: called once the call carrying this operation has been handed over. */
  written?: () => void;
}

export function createEffectBatcher(options: EffectBatcherOptions): EffectBatcher {
  const { commands, leaseMs, ttlMs } = options;
  const maxBatchOps = options.maxBatchOps ?? DEFAULT_MAX_BATCH_OPS;
  if (!Number.isSafeInteger(maxBatchOps) || maxBatchOps < 1) throw new RangeError(`maxBatchOps must be a positive integer, got ${maxBatchOps}`);
  let queued: Pending[] = [];

  // process.nextTick, not a microtask: the replies of one socket read resolve many jobs'
  // promises, whose follow-up work (the next claim, the done mark) runs in chained microtasks.
  // A tick queued from a microtask runs once the whole microtask queue has drained, so it
  // collects all of that and adds no loop iteration (setImmediate batched the same and was
  // slower at concurrency 1 in bench/worker.ts).
  const flush = () => {
    const batch = queued;
    queued = [];
    for (let start = 0; start < batch.length; start += maxBatchOps) send(batch.slice(start, start + maxBatchOps));
  };

  const send = (batch: Pending[]) => {
    try {
      call(batch);
    } catch (error) {
      // ioredis reports failures through the promise; this only guards against a throw, which
      // would otherwise leave every operation of the batch unanswered.
      for (const pending of batch) pending.reject(error);
    }
    // The call is now in the connection's write path (socket or offline queue), in order.
    for (const pending of batch) pending.written?.();
  };

  const call = (batch: Pending[]) => {
    if (batch.length === 1) {
      const only = batch[0]!;
      const single = only.op === "claim" ? commands.effectClaim(only.key, only.owner, leaseMs, ttlMs) : commands.effectDone(only.key, only.owner, only.resultJson, ttlMs);
      single.then(only.resolve, only.reject);
      return;
    }
    const args: (string | number)[] = [batch.length];
    for (const pending of batch) args.push(pending.key);
    args.push(leaseMs, ttlMs);
    for (const pending of batch) args.push(pending.op, pending.owner, pending.resultJson);
    commands.effectBatch(...args).then(
      (replies) => {
        if (!Array.isArray(replies) || replies.length !== batch.length) {
          const error = new Error(`Unexpected effectBatch reply for ${batch.length} operations: ${JSON.stringify(replies)}`);
          for (const pending of batch) pending.reject(error);
          return;
        }
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(replies[i]);
      },
      // The call failed as a whole (connection, timeout, script error): every operation fails
      // with that error, as each single call would have.
      (error: unknown) => {
        for (const pending of batch) pending.reject(error);
      },
    );
  };

  const enqueue = (op: Pending["op"], key: string, owner: string, resultJson: string, written?: () => void) =>
    new Promise<unknown>((resolve, reject) => {
      if (queued.length === 0) process.nextTick(flush);
      queued.push(written ? { op, key, owner, resultJson, resolve, reject, written } : { op, key, owner, resultJson, resolve, reject });
    });

  return {
    claim: (key, owner) => enqueue("claim", key, owner, "") as Promise<EffectClaimReply>,
    done: (key, owner, resultJson) => enqueue("done", key, owner, resultJson) as Promise<0 | 1>,
    doneInOrder(key, owner, resultJson) {
      let written!: () => void;
      const handedOver = new Promise<void>((resolve) => (written = resolve));
      const reply = enqueue("done", key, owner, resultJson, written) as Promise<0 | 1>;
      return { written: handedOver, reply };
    },
  };
}
