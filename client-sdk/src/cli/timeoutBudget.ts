/** The CLI's `--timeout`: one budget for the whole command, retries included. */
/**
 * The --timeout budget as an AbortSignal that can be paused: the time a person takes to answer a
 * confirmation is theirs, not the API's.
 */
export function timeoutBudget(ms: number): { signal: AbortSignal; pause: () => void; resume: () => void } {
  const controller = new AbortController();
  let left = ms;
  let startedAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const resume = () => {
    startedAt = Date.now();
    timer = setTimeout(() => controller.abort(new DOMException("The operation timed out.", "TimeoutError")), left);
    // Like AbortSignal.timeout: a pending budget alone does not keep the process alive.
    timer.unref?.();
  };
  const pause = () => {
    clearTimeout(timer);
    left = Math.max(0, left - (Date.now() - startedAt));
  };
  resume();
  return { signal: controller.signal, pause, resume };
}
