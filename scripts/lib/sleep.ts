/**
 * A promise that resolves after `ms` milliseconds (a plain `setTimeout`, so fake timers apply),
 * for the scripts' and the tests' polling loops.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
