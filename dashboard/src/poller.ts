/**
 * Refreshes the page every few seconds: never two refreshes at once, none while the tab is
 * hidden (and one as soon as it is shown again), and the first one at once.
 */

/** How often the dashboard refreshes, in ms. */
export const REFRESH_MS = 5000;

/** Starts polling `tick`; returns a function that stops it. */
export function startPolling(tick: () => Promise<void>, everyMs = REFRESH_MS): () => void {
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = () => {
    if (stopped || running || document.hidden) return;
    running = tick().finally(() => (running = undefined));
  };
  const timer = setInterval(run, everyMs);
  const onVisibility = () => {
    if (!document.hidden) run();
  };
  document.addEventListener("visibilitychange", onVisibility);
  run();
  return () => {
    stopped = true;
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  };
}
