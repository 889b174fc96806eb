/**
 * `npm start`'s start and stop order (scripts/lib/allInOne.ts) with stand-in roles whose
 * starts the test releases by hand, so a stop can land in each step deterministically; the
 * real process is tested in test/e2e/npmStart.test.ts.
 */
import { describe, expect, it } from "vitest";
import { startAllInOne, type AllInOneSteps, type StoppableApi, type StoppableWorker } from "../../scripts/lib/allInOne.js";

/** A promise and the functions that settle it. */
function gate<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Stand-in steps that log what ran; each start waits for its gate. */
function stepsWithGates(options: { apiDrainsInTime?: boolean } = {}) {
  const log: string[] = [];
  const api: StoppableApi = {
    url: "http://127.0.0.1:1",
    close: async () => {
      log.push("api closed");
      return options.apiDrainsInTime ?? true;
    },
  };
  const worker: StoppableWorker = { close: async () => void log.push("worker closed") };
  const gates = { prepare: gate<void>(), api: gate<StoppableApi>(), worker: gate<StoppableWorker>() };
  const steps: AllInOneSteps<StoppableApi, StoppableWorker> = {
    prepare: async () => {
      log.push("prepare");
      await gates.prepare.promise;
    },
    startApi: async () => {
      log.push("api starting");
      return gates.api.promise;
    },
    startWorker: async () => {
      log.push("worker starting");
      return gates.worker.promise;
    },
    afterStop: async () => void log.push("redis stopped"),
  };
  return { log, api, worker, gates, steps };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("npm start's start and stop order", () => {
  it("starts the API, then the worker, and stops both, then Redis, cleanly", async () => {
    const { log, api, worker, gates, steps } = stepsWithGates();
    const run = startAllInOne(steps, { startupTimeoutMs: 1000 });
    gates.prepare.resolve();
    await tick();
    gates.api.resolve(api);
    await tick();
    gates.worker.resolve(worker);
    await run.startup;
    expect(run.started).toEqual({ api, worker });
    expect(await run.stop()).toBe(true);
    expect(log).toEqual(["prepare", "api starting", "worker starting", "api closed", "worker closed", "redis stopped"]);
  });

  it("lets a stop that lands while the API starts wait for it, never starts the worker, and stops cleanly", async () => {
    const { log, api, gates, steps } = stepsWithGates();
    const run = startAllInOne(steps, { startupTimeoutMs: 1000 });
    gates.prepare.resolve();
    await tick();
    const stopped = run.stop();
    expect(run.stopping).toBe(true);
    gates.api.resolve(api);
    expect(await stopped).toBe(true);
    expect(log).toEqual(["prepare", "api starting", "api closed", "redis stopped"]);
    expect(run.started.worker).toBeUndefined();
  });

  it("gives up on a start that never ends after the timeout: stops what did start, not cleanly", async () => {
    const { log, api, gates, steps } = stepsWithGates();
    let timedOut = 0;
    const run = startAllInOne(steps, { startupTimeoutMs: 50, onStartupTimeout: () => (timedOut += 1) });
    gates.prepare.resolve();
    await tick();
    gates.api.resolve(api);
    await tick();
    // The worker waits for a Redis that went away: its start never settles.
    expect(await run.stop()).toBe(false);
    expect(timedOut).toBe(1);
    expect(log).toEqual(["prepare", "api starting", "worker starting", "api closed", "redis stopped"]);
  });

  it("is not clean when startup failed, or when the API's drain timed out, and stops Redis either way", async () => {
    const failing = stepsWithGates();
    const failed = startAllInOne(failing.steps, { startupTimeoutMs: 1000 });
    failing.gates.prepare.resolve();
    await tick();
    failing.gates.api.reject(new Error("port in use"));
    await expect(failed.startup).rejects.toThrow("port in use");
    expect(await failed.stop()).toBe(false);
    expect(failing.log).toEqual(["prepare", "api starting", "redis stopped"]);

    const slowDrain = stepsWithGates({ apiDrainsInTime: false });
    const run = startAllInOne(slowDrain.steps, { startupTimeoutMs: 1000 });
    slowDrain.gates.prepare.resolve();
    slowDrain.gates.api.resolve(slowDrain.api);
    slowDrain.gates.worker.resolve(slowDrain.worker);
    await run.startup;
    expect(await run.stop()).toBe(false);
    expect(slowDrain.log.at(-1)).toBe("redis stopped");
  });

  it("stops once however often it is asked (a signal and a failed startup both ask)", async () => {
    const { log, api, worker, gates, steps } = stepsWithGates();
    const run = startAllInOne(steps, { startupTimeoutMs: 1000 });
    gates.prepare.resolve();
    gates.api.resolve(api);
    gates.worker.resolve(worker);
    await run.startup;
    const [first, second] = await Promise.all([run.stop(), run.stop()]);
    expect([first, second]).toEqual([true, true]);
    expect(log.filter((line) => line === "redis stopped")).toHaveLength(1);
  });
});
