/**
 * Dead jobs of one queue: a page of 20 at a time (cursor-paged by the API, so 1 000 dead jobs
 * cost no more than 20), searchable (text, owner, when it died), with retry and delete per job,
 * retry all, and retry / delete of every job the search matches, each counted by a dry run first.
 */
import { describeError, isKeyError, type DeadJobsPage, type DeadJobSummary } from "../api.js";
import { confirmAction } from "../confirm.js";
import { createCursorPager } from "../cursorPager.js";
import { buildDeadJobFilter, countDeadJobs, describeDeadJobFilter, isEmptyFilter, type DeadJobFilter } from "../deadJobFilter.js";
import { h, replaceChildren } from "../dom.js";
import { createLatest } from "../latest.js";
import { describeEmail, formatAge } from "../format.js";
import type { Panel, PanelContext } from "../panel.js";
import { showDeadJob, type DeadJobActions } from "./deadJobDetail.js";

/** Dead jobs per page. */
export const DEAD_JOBS_PAGE_SIZE = 20;

export function createDeadJobsPanel(ctx: PanelContext, queue: string): Panel {
  const pager = createCursorPager();
  let page: DeadJobsPage | undefined;
  let filter: DeadJobFilter = {};
  const queueName = queue as "email";

  const title = h("h2", { id: `dead-${queue}-title` }, `Dead jobs — ${queue}`);
  const retryAllButton = h("button", { type: "button", class: "danger", "data-testid": "retry-all" }, "Retry all");
  const retryMatching = h("button", { type: "button", class: "danger", "data-testid": "retry-matching", hidden: true }, "Retry matching");
  const deleteMatching = h("button", { type: "button", class: "danger", "data-testid": "delete-matching", hidden: true }, "Delete matching");

  const inputs = {
    q: h("input", { name: "q", type: "search", autocomplete: "off", size: 30, placeholder: "recipient, subject, job id or reason" }),
    userId: h("input", { name: "userId", type: "search", autocomplete: "off", size: 12, placeholder: "any" }),
    since: h("input", { name: "since", type: "datetime-local", step: 1 }),
    until: h("input", { name: "until", type: "datetime-local", step: 1 }),
  };
  const filterError = h("p", { class: "error", role: "alert", "data-testid": "dead-filter-error", hidden: true });
  const form = h(
    "form",
    { class: "filters", "data-testid": "dead-filters" },
    h("label", {}, "Search", inputs.q),
    h("label", {}, "Owner (user id)", inputs.userId),
    h("label", {}, "Died since", inputs.since),
    h("label", {}, "Died until", inputs.until),
    h("button", { type: "submit" }, "Search"),
    h("button", { type: "reset", class: "secondary" }, "Clear"),
  );
  const summary = h("p", { class: "muted", "data-testid": "dead-filter-summary", hidden: true });
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const newer = h("button", { type: "button", class: "secondary", "data-testid": "dead-newer" }, "← Newer");
  const older = h("button", { type: "button", class: "secondary", "data-testid": "dead-older" }, "Older →");
  const position = h("span", { class: "muted", "data-testid": "dead-position" });
  const element = h(
    "section",
    { id: `dead-${queue}`, "aria-labelledby": `dead-${queue}-title`, "data-testid": `dead-jobs-${queue}` },
    h("div", { class: "section-head" }, title, h("div", { class: "row-actions" }, retryAllButton, retryMatching, deleteMatching)),
    form,
    filterError,
    summary,
    body,
    h("div", { class: "pager" }, newer, position, older),
  );

  const filtered = () => !isEmptyFilter(filter);
  const startLoad = createLatest();
  const refresh = async () => {
    const isLatest = startLoad();
    const list = (cursor: string | undefined) => ctx.client.deadJobs.list({ queue: queueName, limit: DEAD_JOBS_PAGE_SIZE, ...filter, ...(cursor === undefined ? {} : { cursor }) });
    let next = await list(pager.cursor);
    if (!isLatest()) return;
    // Retries and deletes emptied this page: fall back to the newest one. Not when searching: an
    // empty filtered page is the end of the matches (or, with a cursor, a stretch without any).
    if (next.jobs.length === 0 && pager.index > 0 && !filtered()) {
      pager.reset();
      next = await list(undefined);
      if (!isLatest()) return;
    }
    page = next;
    render();
  };

  /** Reports a failed action as such (not as a failed refresh); a key error still ends the session. */
  const actionFailed = (what: string, error: unknown) => {
    if (isKeyError(error)) ctx.fail(error);
    else ctx.notify(`${what} failed: ${describeError(error)}`, "error");
  };
  /** Runs an action and reports its outcome; `what` names it in a failure ("Retrying job …"). */
  const act = async (what: string, work: () => Promise<string>) => {
    try {
      ctx.notify(await work());
    } catch (error) {
      actionFailed(what, error);
    }
    await refresh().catch(ctx.fail);
  };
  const actions: DeadJobActions = {
    retry: (jobId) => act(`Retrying job ${jobId}`, async () => (await ctx.client.deadJobs.retry({ queue: queueName, jobId }), `Job ${jobId} is waiting again.`)),
    remove: (jobId) => act(`Deleting job ${jobId}`, async () => (await ctx.client.deadJobs.delete({ queue: queueName, jobId }), `Job ${jobId} was deleted.`)),
  };

  function row(job: DeadJobSummary): HTMLElement {
    const { to, subject } = describeEmail(job.data);
    const open = () => showDeadJob(ctx, queue, job.jobId, actions).catch((error: unknown) => actionFailed(`Opening job ${job.jobId}`, error));
    const retry = h("button", { type: "button", "data-testid": "row-retry" }, "Retry");
    retry.addEventListener("click", async () => {
      if (await confirmAction(`Retry job ${job.jobId}? It goes back to waiting with fresh attempts.`, "Retry")) await actions.retry(job.jobId);
    });
    const remove = h("button", { type: "button", class: "danger", "data-testid": "row-delete" }, "Delete");
    remove.addEventListener("click", async () => {
      if (await confirmAction(`Delete job ${job.jobId} for good? Its data and history are lost.`, "Delete")) await actions.remove(job.jobId);
    });
    return h(
      "tr",
      { "data-job-id": job.jobId },
      h("td", {}, h("button", { type: "button", class: "link", "data-testid": "open-job", onclick: open }, job.jobId.slice(0, 8))),
      h("td", {}, to),
      h("td", {}, subject),
      h("td", { class: "reason" }, job.failedReason, job.nonRetryable ? h("span", { class: "badge" }, "permanent") : null),
      h("td", { class: "num", title: `${job.attempts.length} failed attempt(s) recorded across runs` }, job.attemptsMade),
      h("td", { title: job.failedAt.toISOString() }, formatAge(job.failedAt, ctx.now())),
      h("td", { class: "row-actions" }, retry, remove),
    );
  }

  /** What an empty page says: with a search, "none" only once nothing older is left to look at. */
  function emptyPage(current: DeadJobsPage): HTMLElement {
    if (!filtered()) return h("p", { class: "muted", "data-testid": "dead-empty" }, "No dead jobs.");
    if (current.nextCursor === null) return h("p", { class: "muted", "data-testid": "dead-empty" }, pager.index === 0 ? "No dead jobs match." : "No older dead jobs match.");
    const more = h("button", { type: "button", class: "secondary", "data-testid": "dead-keep-searching" }, "Keep searching →");
    more.addEventListener("click", goOlder);
    return h(
      "p",
      { class: "muted", "data-testid": "dead-none-yet" },
      "No matches among the dead jobs looked at so far (a page looks at up to 200); older ones are not searched yet. ",
      more,
    );
  }

  function render(): void {
    if (!page) return;
    title.textContent = `Dead jobs — ${queue} (${page.total})`;
    const searching = filtered();
    retryAllButton.hidden = searching;
    retryAllButton.disabled = page.total === 0;
    retryMatching.hidden = !searching;
    deleteMatching.hidden = !searching;
    retryMatching.disabled = page.total === 0;
    deleteMatching.disabled = page.total === 0;
    summary.hidden = !searching;
    summary.textContent = searching ? `Dead jobs ${describeDeadJobFilter(filter)}.` : "";
    if (page.jobs.length === 0) replaceChildren(body, emptyPage(page));
    else
      replaceChildren(
        body,
        h(
          "table",
          { "data-testid": "dead-table" },
          h("thead", {}, h("tr", {}, ...["Job", "To", "Subject", "Reason", "Attempts", "Died", ""].map((label) => h("th", {}, label)))),
          h("tbody", {}, ...page.jobs.map(row)),
        ),
      );
    if (searching) {
      // Filtered pages can be short, so positions ("21–40") would mislead; say which page it is.
      position.textContent = `page ${pager.index + 1}: ${page.jobs.length} match${page.jobs.length === 1 ? "" : "es"} of ${page.total} dead${page.nextCursor === null ? "" : "; older ones not searched yet"}`;
    } else {
      const first = pager.firstItem(DEAD_JOBS_PAGE_SIZE);
      position.textContent = page.jobs.length === 0 ? "" : `${first}–${first + page.jobs.length - 1} of ${page.total}`;
    }
    newer.disabled = pager.index === 0;
    older.disabled = page.nextCursor === null;
  }

  function goOlder(): void {
    if (!page?.nextCursor) return;
    pager.older(page.nextCursor);
    void refresh().catch(ctx.fail);
  }

  /** Retry or delete every dead job the search matches: count them (dry run), ask with that count, then do it. */
  async function bulk(kind: "retry" | "delete"): Promise<void> {
    const selection = filter;
    const words = describeDeadJobFilter(selection);
    const buttons = [retryMatching, deleteMatching];
    buttons.forEach((button) => (button.disabled = true));
    try {
      let matched: number;
      try {
        matched =
          kind === "retry"
            ? (await ctx.client.deadJobs.retryAll({ queue: queueName, filter: selection, dryRun: true })).matched
            : (await ctx.client.deadJobs.deleteMany({ queue: queueName, filter: selection, dryRun: true })).matched;
      } catch (error) {
        actionFailed(`Counting the dead jobs ${words}`, error);
        return;
      }
      if (matched === 0) {
        ctx.notify(`No dead jobs ${words}: nothing to ${kind}.`);
        return;
      }
      const question =
        kind === "retry"
          ? `Retry ${countDeadJobs(matched)} ${words}? Each goes back to waiting with fresh attempts.`
          : `Delete ${countDeadJobs(matched)} ${words} for good? Their data and history are lost.`;
      if (!(await confirmAction(question, kind === "retry" ? "Retry matching" : "Delete matching"))) return;
      pager.reset();
      await act(`${kind === "retry" ? "Retrying" : "Deleting"} the dead jobs ${words}`, async () => {
        if (kind === "retry") {
          const { retried } = await ctx.client.deadJobs.retryAll({ queue: queueName, filter: selection });
          return `${retried} job${retried === 1 ? "" : "s"} ${words} waiting again.`;
        }
        const { deleted } = await ctx.client.deadJobs.deleteMany({ queue: queueName, filter: selection });
        return `${countDeadJobs(deleted)} ${words} deleted.`;
      });
    } finally {
      render();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const built = buildDeadJobFilter({ q: inputs.q.value, userId: inputs.userId.value, since: inputs.since.value, until: inputs.until.value });
    filterError.hidden = !("error" in built);
    if ("error" in built) {
      filterError.textContent = built.error;
      return;
    }
    filter = built.filter;
    pager.reset();
    void refresh().catch(ctx.fail);
  });
  form.addEventListener("reset", () => {
    filter = {};
    filterError.hidden = true;
    pager.reset();
    void refresh().catch(ctx.fail);
  });
  retryMatching.addEventListener("click", () => void bulk("retry"));
  deleteMatching.addEventListener("click", () => void bulk("delete"));
  retryAllButton.addEventListener("click", async () => {
    const total = page?.total ?? 0;
    if (!(await confirmAction(`Retry all ${total} dead jobs of ${queue}? Each goes back to waiting with fresh attempts.`, "Retry all"))) return;
    await act(`Retrying all dead jobs of ${queue}`, async () => {
      const { retried } = await ctx.client.deadJobs.retryAll({ queue: queueName });
      return `${retried} job${retried === 1 ? "" : "s"} waiting again.`;
    });
  });
  newer.addEventListener("click", () => {
    pager.newer();
    void refresh().catch(ctx.fail);
  });
  older.addEventListener("click", goOlder);

  return { element, refresh };
}
