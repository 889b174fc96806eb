/**
 * Dead jobs of one queue: a page of 20 at a time (cursor-paged by the API, so 1 000 dead jobs
 * cost no more than 20), with retry, retry-all and delete, and a detail dialog per job.
 */
import { describeError, isKeyError, type DeadJobsPage, type DeadJobSummary } from "../api.js";
import { confirmAction } from "../confirm.js";
import { createCursorPager } from "../cursorPager.js";
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
  const queueName = queue as "email";

  const title = h("h2", { id: `dead-${queue}-title` }, `Dead jobs — ${queue}`);
  const retryAllButton = h("button", { type: "button", class: "danger", "data-testid": "retry-all" }, "Retry all");
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const newer = h("button", { type: "button", class: "secondary", "data-testid": "dead-newer" }, "← Newer");
  const older = h("button", { type: "button", class: "secondary", "data-testid": "dead-older" }, "Older →");
  const position = h("span", { class: "muted" });
  const element = h(
    "section",
    { id: `dead-${queue}`, "aria-labelledby": `dead-${queue}-title`, "data-testid": `dead-jobs-${queue}` },
    h("div", { class: "section-head" }, title, retryAllButton),
    body,
    h("div", { class: "pager" }, newer, position, older),
  );

  const startLoad = createLatest();
  const refresh = async () => {
    const isLatest = startLoad();
    const cursor = pager.cursor;
    let next = await ctx.client.deadJobs.list({ queue: queueName, limit: DEAD_JOBS_PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
    if (!isLatest()) return;
    if (next.jobs.length === 0 && pager.index > 0) {
      // Retries and deletes emptied this page: fall back to the newest one.
      pager.reset();
      next = await ctx.client.deadJobs.list({ queue: queueName, limit: DEAD_JOBS_PAGE_SIZE });
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

  function render(): void {
    if (!page) return;
    title.textContent = `Dead jobs — ${queue} (${page.total})`;
    retryAllButton.disabled = page.total === 0;
    if (page.jobs.length === 0) replaceChildren(body, h("p", { class: "muted", "data-testid": "dead-empty" }, "No dead jobs."));
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
    const first = pager.firstItem(DEAD_JOBS_PAGE_SIZE);
    position.textContent = page.jobs.length === 0 ? "" : `${first}–${first + page.jobs.length - 1} of ${page.total}`;
    newer.disabled = pager.index === 0;
    older.disabled = page.nextCursor === null;
  }

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
  older.addEventListener("click", () => {
    if (!page?.nextCursor) return;
    pager.older(page.nextCursor);
    void refresh().catch(ctx.fail);
  });

  return { element, refresh };
}
