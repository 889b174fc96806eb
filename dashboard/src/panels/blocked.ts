/**
 * Blocked requests: the newest entries of the blocked log, filterable by user, IP, rule and
 * route, 50 at a time with "Load older" (cursor-paged, so a 10 000-entry log is never loaded at
 * once). The newest page refreshes on its own; older pages stay put while someone reads them.
 * Would-be denials of shadow rules (the request passed) carry a "shadow" badge.
 */
import type { BlockedEntry } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { createLatest } from "../latest.js";
import { formatClock, formatDuration } from "../format.js";
import type { Panel, PanelContext } from "../panel.js";

/** Entries per page. */
export const BLOCKED_PAGE_SIZE = 50;

const FILTERS = [
  { name: "userId", label: "User" },
  { name: "ip", label: "IP" },
  { name: "rule", label: "Rule" },
  { name: "route", label: "Route", placeholder: "POST /jobs/email" },
] as const;
type FilterName = (typeof FILTERS)[number]["name"];

export function createBlockedPanel(ctx: PanelContext): Panel {
  let filters: Partial<Record<FilterName, string>> = {};
  let entries: BlockedEntry[] = [];
  let nextCursor: string | null = null;
  /**
   * Set from the moment older entries are asked for: the auto-refresh leaves the table alone,
   * also while that answer is still on its way (a refresh would otherwise overtake and drop it).
   */
  let pinned = false;

  const inputs = new Map<FilterName, HTMLInputElement>();
  const form = h(
    "form",
    { class: "filters", "data-testid": "blocked-filters" },
    ...FILTERS.map((filter) => {
      const input = h("input", { name: filter.name, type: "search", autocomplete: "off", placeholder: "placeholder" in filter ? filter.placeholder : "any" });
      inputs.set(filter.name, input);
      return h("label", {}, filter.label, input);
    }),
    h("button", { type: "submit" }, "Filter"),
    h("button", { type: "reset", class: "secondary" }, "Clear"),
  );
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const older = h("button", { type: "button", class: "secondary", "data-testid": "blocked-older" }, "Load older");
  const newest = h("button", { type: "button", class: "secondary", "data-testid": "blocked-newest", hidden: true }, "Back to newest");
  const status = h("span", { class: "muted" });
  const element = h(
    "section",
    { id: "blocked", "aria-labelledby": "blocked-title", "data-testid": "blocked" },
    h("h2", { id: "blocked-title" }, "Blocked requests"),
    form,
    body,
    h("div", { class: "pager" }, status, newest, older),
  );

  const startLoad = createLatest();
  const load = async (cursor: string | undefined) => {
    const isLatest = startLoad();
    const page = await ctx.client.monitoring.blocked({ limit: BLOCKED_PAGE_SIZE, ...filters, ...(cursor === undefined ? {} : { cursor }) });
    if (!isLatest()) return;
    entries = cursor === undefined ? page.entries : [...entries, ...page.entries];
    nextCursor = page.nextCursor;
    render();
  };

  function row(entry: BlockedEntry): HTMLElement {
    return h(
      "tr",
      { "data-request-id": entry.requestId, class: entry.shadow ? "shadow" : undefined },
      h("td", { title: entry.at.toISOString() }, formatClock(entry.at)),
      h("td", {}, entry.route),
      // A shadow rule's would-be denial: the request passed, so it is marked, not hidden.
      h("td", {}, entry.rule, entry.shadow ? h("span", { class: "badge shadow", "data-testid": "shadow-badge", title: "Shadow rule: it would have been denied; the request passed." }, "shadow") : null),
      h("td", {}, `${entry.limit} / ${formatDuration(entry.windowMs)}`),
      h("td", {}, entry.userId ?? "—"),
      h("td", {}, entry.ip),
      h("td", {}, formatDuration(entry.retryAfterMs)),
      h("td", { class: "mono" }, entry.requestId),
    );
  }

  function render(): void {
    if (entries.length === 0) replaceChildren(body, h("p", { class: "muted", "data-testid": "blocked-empty" }, "No blocked requests match."));
    else
      replaceChildren(
        body,
        h(
          "table",
          { "data-testid": "blocked-table" },
          h("thead", {}, h("tr", {}, ...["Time", "Route", "Rule", "Limit", "User", "IP", "Retry after", "Request id"].map((label) => h("th", {}, label)))),
          h("tbody", {}, ...entries.map(row)),
        ),
      );
    older.disabled = nextCursor === null;
    newest.hidden = !pinned;
    status.textContent = `${entries.length} shown${pinned ? " · auto-refresh paused while older entries are shown" : ""}`;
  }

  const backToNewest = () => {
    pinned = false;
    void load(undefined).catch(ctx.fail);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    pinned = false;
    filters = {};
    for (const [name, input] of inputs) if (input.value.trim() !== "") filters[name] = input.value.trim();
    void load(undefined).catch(ctx.fail);
  });
  form.addEventListener("reset", () => {
    pinned = false;
    filters = {};
    void Promise.resolve().then(() => load(undefined)).catch(ctx.fail);
  });
  older.addEventListener("click", () => {
    if (nextCursor === null) return;
    pinned = true;
    void load(nextCursor).catch(ctx.fail);
  });
  newest.addEventListener("click", backToNewest);

  return {
    element,
    // Only the newest page refreshes by itself: replacing older pages would pull them from under the reader.
    refresh: () => (pinned ? Promise.resolve() : load(undefined)),
  };
}
