/** One dead job in a dialog: why it died, its data, every attempt with its stack trace, and what can be done. */
import type { DeadJobDetail } from "../api.js";
import { confirmAction } from "../confirm.js";
import { h } from "../dom.js";
import { formatAge } from "../format.js";
import type { PanelContext } from "../panel.js";

/** Actions the dialog offers; each resolves once done (the list then refreshes). */
export interface DeadJobActions {
  retry(jobId: string): Promise<void>;
  remove(jobId: string): Promise<void>;
}

function attemptsTable(job: DeadJobDetail, now: number): HTMLElement {
  if (job.attempts.length === 0) return h("p", { class: "muted" }, "No attempts recorded.");
  return h(
    "table",
    { class: "attempts", "data-testid": "attempts" },
    h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "When"), h("th", {}, "Error"), h("th", {}, "SMTP"))),
    h(
      "tbody",
      {},
      ...job.attempts.map((attempt, i) =>
        h(
          "tr",
          {},
          h("td", {}, i + 1),
          h("td", { title: new Date(attempt.at).toISOString() }, `${formatAge(new Date(attempt.at), now)} ago`),
          h("td", {}, attempt.error, attempt.stack ? h("details", {}, h("summary", {}, "stack trace"), h("pre", {}, attempt.stack)) : null),
          h("td", {}, attempt.responseCode ?? "—"),
        ),
      ),
    ),
  );
}

/** Loads job `jobId` of `queue` and shows it in a modal dialog. */
export async function showDeadJob(ctx: PanelContext, queue: string, jobId: string, actions: DeadJobActions): Promise<void> {
  const job = await ctx.client.deadJobs.get({ queue: queue as "email", jobId });
  const now = ctx.now();
  const close = h("button", { type: "button", class: "secondary" }, "Close");
  const retry = h("button", { type: "button", "data-testid": "detail-retry" }, "Retry");
  const remove = h("button", { type: "button", class: "danger", "data-testid": "detail-delete" }, "Delete");
  const dialog = h(
    "dialog",
    { class: "detail", "data-testid": "dead-job-detail", "aria-label": `Dead job ${job.jobId}` },
    h("h3", {}, "Dead job ", h("code", {}, job.jobId)),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Reason"),
      h("dd", { "data-testid": "detail-reason" }, job.failedReason, job.nonRetryable ? h("span", { class: "badge" }, "permanent") : null),
      h("dt", {}, "Attempts"),
      h("dd", {}, `${job.attemptsMade} of ${job.maxAttempts} in the last run; ${job.attempts.length} failed in all`),
      h("dt", {}, "Created"),
      h("dd", { title: job.createdAt.toISOString() }, `${formatAge(job.createdAt, now)} ago`),
      h("dt", {}, "Died"),
      h("dd", { title: job.failedAt.toISOString() }, `${formatAge(job.failedAt, now)} ago`),
    ),
    h("h4", {}, "Attempt history"),
    attemptsTable(job, now),
    h("h4", {}, "Job data"),
    h("pre", { class: "data" }, JSON.stringify(job.data, null, 2)),
    h("div", { class: "actions" }, close, remove, retry),
  );
  const dismiss = () => {
    dialog.close();
    dialog.remove();
  };
  close.addEventListener("click", dismiss);
  dialog.addEventListener("close", () => dialog.remove());
  retry.addEventListener("click", async () => {
    if (!(await confirmAction(`Retry job ${job.jobId}? It goes back to waiting with fresh attempts.`, "Retry"))) return;
    dismiss();
    await actions.retry(job.jobId);
  });
  remove.addEventListener("click", async () => {
    if (!(await confirmAction(`Delete job ${job.jobId} for good? Its data and history are lost.`, "Delete"))) return;
    dismiss();
    await actions.remove(job.jobId);
  });
  document.body.append(dialog);
  dialog.showModal();
}
