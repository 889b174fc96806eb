/**
 * Unawaited done marks against kill -9: a worker process dies the moment its job's done mark, or
 * the job's completion behind it, has been handed to its Redis connection (support/killingWorker.ts).
 * In every state Redis is left in, a completed job has its done mark, and a rescuing worker
 * sends the mail again only if Redis never got the done mark (the documented window, with the
 * same Message-ID). Single Redis only: on a Cluster the done mark is awaited as before.
 */
import { describe, expect, it } from "vitest";
import { cleanupAfterEach } from "#test-support/cleanup.js";
import { bullPrefix, redisKeys } from "@taskgate/shared";
import { startMailQueue } from "#test-support/mailQueue.js";
import { spawnEntry, spawnWorker } from "#test-support/processes.js";
import { connectTestRedis, TEST_REDIS_CLUSTER_NODES, testRedisEnv } from "#test-support/redis.js";
import { pollUntil, sleep } from "#test-support/time.js";

const cleanup = cleanupAfterEach();

const JOB_ID = "killed-1";

describe.skipIf(TEST_REDIS_CLUSTER_NODES !== undefined)("unawaited done marks under kill -9", () => {
  it.each(["completion", "done-mark"] as const)("never leaves a completed job without its done mark when the worker dies right after handing over its %s", async (killAfter) => {
    const { prefix, smtp, queue, close } = await startMailQueue();
    cleanup.push(close);
    const redis = connectTestRedis();
    cleanup.push(() => redis.quit());
    const env = { ...testRedisEnv(), KEY_PREFIX: prefix, SMTP_URL: smtp.url, WORKER_LOCK_MS: "1500", WORKER_STALLED_INTERVAL_MS: "500" };

    const killing = spawnEntry("worker/test/support/killingWorker.ts", { ...env, KILL_AFTER: killAfter });
    cleanup.push(() => killing.kill());
    const armed = await pollUntil(async () => killing.logs().find((line) => line.msg === "armed") ?? killing.child.exitCode, Boolean, 20_000);
    expect(armed.at(-1), killing.output()).toMatchObject({ doneMarks: "ordered" });
    await queue.add("send", { email: { to: "once@example.com", subject: "killed", text: "x" }, requestId: "req-killed", ownerId: null }, { jobId: JOB_ID, attempts: 5, backoff: { type: "fixed", delay: 100 } });
    expect(await killing.exited).toBe(128);
    expect(killing.logs().some((line) => line.msg === "killing")).toBe(true);
    expect(smtp.received).toHaveLength(1);

    // Job state and effect record read together (MULTI), so no write can fall between them.
    const completedKey = `${bullPrefix(prefix)}:email:completed`;
    const effectKey = redisKeys(prefix).effect("email", JOB_ID);
    const snapshot = async () => {
      const replies = await redis.multi().zscore(completedKey, JOB_ID).hget(effectKey, "state").exec();
      return { completed: replies?.[0]?.[1] !== null, effect: replies?.[1]?.[1] as string | null };
    };
    const invariant = (seen: { completed: boolean; effect: string | null }) => expect(seen.completed ? seen.effect : "done", JSON.stringify(seen)).toBe("done");
    // Whatever the dead worker left in flight reaches Redis about now: the invariant holds in
    // each of a series of snapshots across that moment, and in the state Redis settles in.
    for (let i = 0; i < 20; i += 1) {
      invariant(await snapshot());
      await sleep(10);
    }
    const settled = await snapshot();
    invariant(settled);

    const rescuer = await spawnWorker(env);
    cleanup.push(() => rescuer.kill());
    const states = await pollUntil(snapshot, (seen) => seen.completed, 20_000, 20);
    for (const seen of states) invariant(seen);

    const messageIds = smtp.received.map((mail) => mail.messageId);
    console.log(`kill after ${killAfter}: at death ${JSON.stringify(settled)}, ${messageIds.length} deliveries`);
    if (settled.effect === "done") {
      // Redis had the done mark before the worker died: the rescuer (if the job was still
      // active) found it done and did not send again.
      expect(messageIds).toEqual([`<email.${JOB_ID}@localhost>`]);
    } else {
      // Neither the mark nor the completion reached Redis: the documented duplicate window.
      expect(settled.completed).toBe(false);
      expect(messageIds).toEqual([`<email.${JOB_ID}@localhost>`, `<email.${JOB_ID}@localhost>`]);
    }
    if (killAfter === "completion" && settled.completed) expect(await queue.getJobState(JOB_ID)).toBe("completed");
  }, 60_000);
});
