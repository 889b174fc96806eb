/**
 * The audit log: every admin write (policy and override changes, dead-job retries and deletes),
 * newest first, 50 a page with Newer / Older by cursor. Only the newest page refreshes on its
 * own; an older page is fixed history and stays put while someone reads it.
 */
import type { AuditEntry, AuditPage } from "../api.js";
import { createCursorPager } from "../cursorPager.js";
import { h, replaceChildren } from "../dom.js";
import { createLatest } from "../latest.js";
import type { Panel, PanelContext } from "../panel.js";
import { formatDateTime, safeJson, summarizeDetails } from "../policyFormat.js";

/** Entries per page. */
export const AUDIT_PAGE_SIZE = 50;

/** Most characters of the full details kept in a cell's tooltip. */
const DETAILS_TITLE_CHARS = 2000;

function row(entry: AuditEntry): HTMLElement {
  const full = safeJson(entry.details, 2);
  // Text nodes and attribute values only: details carry admin input (reasons, rule names).
  return h(
    "tr",
    { "data-action": entry.action },
    h("td", { title: entry.at.toISOString() }, formatDateTime(entry.at)),
    h("td", { "data-testid": "audit-actor" }, entry.actor),
    h("td", { "data-testid": "audit-action" }, entry.action),
    h("td", { class: "mono" }, entry.target),
    h("td", { class: "mono reason", title: full.length > DETAILS_TITLE_CHARS ? `${full.slice(0, DETAILS_TITLE_CHARS)}…` : full }, summarizeDetails(entry.details)),
  );
}

export function createAuditPanel(ctx: PanelContext): Panel {
  const pager = createCursorPager();
  let page: AuditPage | undefined;

  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const newer = h("button", { type: "button", class: "secondary", "data-testid": "audit-newer" }, "← Newer");
  const older = h("button", { type: "button", class: "secondary", "data-testid": "audit-older" }, "Older →");
  const position = h("span", { class: "muted" });
  const element = h(
    "section",
    { id: "audit", "aria-labelledby": "audit-title", "data-testid": "audit" },
    h("h2", { id: "audit-title" }, "Audit log"),
    body,
    h("div", { class: "pager" }, newer, position, older),
  );

  const startLoad = createLatest();
  const load = async () => {
    const isLatest = startLoad();
    const cursor = pager.cursor;
    const next = await ctx.client.monitoring.audit({ limit: AUDIT_PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
    if (!isLatest()) return;
    page = next;
    render();
  };

  function render(): void {
    if (!page) return;
    if (page.entries.length === 0) replaceChildren(body, h("p", { class: "muted", "data-testid": "audit-empty" }, pager.index === 0 ? "No admin writes yet." : "No older entries."));
    else
      replaceChildren(
        body,
        h(
          "table",
          { "data-testid": "audit-table" },
          h("thead", {}, h("tr", {}, ...["Time", "Actor", "Action", "Target", "Details"].map((label) => h("th", {}, label)))),
          h("tbody", {}, ...page.entries.map(row)),
        ),
      );
    const first = pager.firstItem(AUDIT_PAGE_SIZE);
    position.textContent =
      page.entries.length === 0 ? "" : `${first}–${first + page.entries.length - 1}${pager.index > 0 ? " · auto-refresh paused while older entries are shown" : ""}`;
    newer.disabled = pager.index === 0;
    older.disabled = page.nextCursor === null;
  }

  newer.addEventListener("click", () => {
    pager.newer();
    void load().catch(ctx.fail);
  });
  older.addEventListener("click", () => {
    if (!page?.nextCursor) return;
    pager.older(page.nextCursor);
    void load().catch(ctx.fail);
  });

  return {
    element,
    refresh: () => (pager.index === 0 ? load() : Promise.resolve()),
  };
}
