/**
 * The Taskgate admin dashboard. Asks for an admin API key once (kept in session storage), checks
 * it, then shows queues, traffic, dead jobs, blocked requests, the rate-limit policy and the audit
 * log, refreshed every few seconds. A server in open mode needs no key, and the page says so.
 */
import { createDashboardClient, describeError, isKeyError, type TaskgateClient } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { formatClock } from "./format.js";
import type { Panel, PanelContext } from "./panel.js";
import { createAuditPanel } from "./panels/audit.js";
import { createBlockedPanel } from "./panels/blocked.js";
import { createDeadJobsPanel } from "./panels/deadJobs.js";
import { createFindJobPanel } from "./panels/findJob.js";
import { createPolicyPanel } from "./panels/policy.js";
import { createQueuesPanel } from "./panels/queues.js";
import { createTrafficPanel } from "./panels/traffic.js";
import { REFRESH_MS, startPolling } from "./poller.js";
import { forgetKey, storedKey, storeKey } from "./session.js";

const root = document.getElementById("app") as HTMLElement;

function showSignIn(message?: string): void {
  // No `name` and method POST: even if the script failed before preventDefault, the key could
  // not end up in the URL.
  const input = h("input", { type: "password", autocomplete: "off", required: true, "aria-label": "Admin API key", "data-testid": "key-input" });
  const form = h(
    "form",
    { class: "sign-in", method: "post", "data-testid": "sign-in" },
    h("h1", {}, "Taskgate admin"),
    h("p", {}, "Enter an admin API key. It is kept in this tab's session storage only, and sent as a Bearer token."),
    message ? h("p", { class: "error", role: "alert", "data-testid": "sign-in-error" }, message) : null,
    input,
    h("button", { type: "submit", "data-testid": "key-submit" }, "Open dashboard"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    storeKey(input.value.trim());
    void open(input.value.trim());
  });
  replaceChildren(root, form);
  input.focus();
}

/**
 * Checks the key with one admin call before showing anything; a bad key goes back to sign-in
 * with the reason. Any other failure (API or Redis down) shows the dashboard, whose refreshes
 * report the error and keep trying.
 */
async function open(key: string): Promise<void> {
  const client = createDashboardClient(key);
  try {
    await client.monitoring.queues();
  } catch (error) {
    if (isKeyError(error)) {
      forgetKey();
      showSignIn(describeError(error));
      return;
    }
  }
  showDashboard(client, false);
}

/**
 * Without a stored key: a server in open mode (API_KEYS unset, e.g. `npm start` on a laptop)
 * answers admin calls without one, so the page opens at once and says why; any other server
 * answers 401 and the page asks for a key.
 */
async function start(): Promise<void> {
  const client = createDashboardClient(undefined);
  try {
    await client.monitoring.queues();
  } catch (error) {
    if (isKeyError(error)) return showSignIn();
    // Not known yet whether a key is needed: say what is wrong and ask again shortly.
    replaceChildren(root, h("p", { class: "error", role: "alert", "data-testid": "start-error" }, `Cannot reach the API: ${describeError(error)} Trying again every ${REFRESH_MS / 1000} s.`));
    setTimeout(() => void start(), REFRESH_MS);
    return;
  }
  showDashboard(client, true);
}

function showDashboard(client: TaskgateClient, openMode: boolean): void {
  // Two message lines: what the last refresh ran into (cleared by the next good one), and the
  // outcome of the last action (an error stays until dismissed or replaced).
  const loadError = h("div", { class: "banner error", role: "alert", "data-testid": "load-error", hidden: true });
  const noticeText = h("span", {});
  const dismiss = h("button", { type: "button", class: "link", "aria-label": "Dismiss" }, "×");
  const banner = h("div", { class: "banner", role: "status", "aria-live": "polite", "data-testid": "banner", hidden: true }, noticeText, " ", dismiss);
  dismiss.addEventListener("click", () => (banner.hidden = true));
  const updated = h("span", { class: "muted", "data-testid": "updated" });
  const signOut = h("button", { type: "button", class: "secondary" }, "Sign out");
  let stop = () => {};
  let bannerTimer: ReturnType<typeof setTimeout> | undefined;

  const notify = (message: string, kind: "ok" | "error" = "ok") => {
    noticeText.textContent = message;
    banner.className = `banner ${kind}`;
    banner.hidden = false;
    clearTimeout(bannerTimer);
    if (kind === "ok") bannerTimer = setTimeout(() => (banner.hidden = true), 6000);
  };
  const fail = (error: unknown) => {
    if (isKeyError(error)) {
      stop();
      forgetKey();
      showSignIn(describeError(error));
      return;
    }
    loadError.textContent = `Could not refresh: ${describeError(error)} Trying again every ${REFRESH_MS / 1000} s.`;
    loadError.hidden = false;
  };
  const ctx: PanelContext = { client, notify, fail, now: () => Date.now() };

  const deadJobsArea = h("div", {});
  const deadPanels = new Map<string, Panel>();
  const queues = createQueuesPanel(ctx, (names) => {
    for (const name of names) {
      if (deadPanels.has(name)) continue;
      const panel = createDeadJobsPanel(ctx, name);
      deadPanels.set(name, panel);
      deadJobsArea.append(panel.element);
      void panel.refresh().catch(fail);
    }
  });
  const traffic = createTrafficPanel(ctx);
  const blocked = createBlockedPanel(ctx);
  const findJob = createFindJobPanel(ctx, "email");
  const policy = createPolicyPanel(ctx);
  const audit = createAuditPanel(ctx);

  signOut.addEventListener("click", () => {
    stop();
    forgetKey();
    showSignIn();
  });
  const openModeNotice = openMode
    ? h("p", { class: "banner warn", role: "note", "data-testid": "open-mode" }, "Open mode: API_KEYS is not set, so this page and every admin path are open to anyone who can reach this server.")
    : null;
  replaceChildren(
    root,
    h("header", {}, h("h1", {}, "Taskgate admin"), h("div", { class: "header-side" }, updated, openMode ? null : signOut)),
    openModeNotice,
    loadError,
    banner,
    h("main", {}, queues.element, traffic.element, deadJobsArea, findJob.element, blocked.element, policy.element, audit.element),
  );

  stop = startPolling(async () => {
    const results = await Promise.allSettled([queues, findJob, traffic, blocked, policy, audit, ...deadPanels.values()].map((panel) => panel.refresh()));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) return fail(failure.reason);
    loadError.hidden = true;
    updated.textContent = `Updated ${formatClock(new Date())} · every ${REFRESH_MS / 1000} s`;
  });
}

const key = storedKey();
if (key) void open(key);
else void start();
