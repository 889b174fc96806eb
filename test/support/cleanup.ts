/**
 * Clean-up steps a test registers as it starts things (processes, workers, queues, private
 * Redis servers): run after each test, newest first, so what was started last stops first, and
 * one failing step does not keep the others from running.
 */
import { afterEach } from "vitest";

/** A test's clean-up steps: push one for everything started. */
export type CleanupSteps = Array<() => Promise<unknown>>;

/** Registers an afterEach that runs the steps pushed during the test, newest first, ignoring their failures. */
export function cleanupAfterEach(): CleanupSteps {
  const steps: CleanupSteps = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step().catch(() => undefined);
  });
  return steps;
}
