/**
 * Find a job by id (from a log line, a support ticket, a dead-job row): its state, attempts,
 * times, result or failure, through `jobs.status`; a job that has not started yet can be
 * cancelled or rescheduled from here. The job shown refreshes with the page, so a retried job
 * can be watched until it completes.
 */
import { describeError, isKeyError, TaskgateError, type TaskgateClient } from "../api.js";
import { confirmAction } from "../confirm.js";
import { h, replaceChildren } from "../dom.js";
import { formatAge } from "../format.js";
import { createLatest } from "../latest.js";
import type { Panel, PanelContext } from "../panel.js";
import { formatDateTime } from "../policyFormat.js";
import { buildReschedule, isPending } from "../rescheduleInput.js";

type JobStatus = Awaited<ReturnType<TaskgateClient["jobs"]["status"]>>;
interface JobRef {
  queue: string;
  jobId: string;
}

function when(label: string, at: Date | undefined, now: number): HTMLElement[] {
  if (!at) return [];
  // formatAge counts up to `now`; a time ahead (a schedule) is counted from now to it.
  const relative = at.getTime() > now ? `${formatAge(new Date(now), at.getTime())} from now` : `${formatAge(at, now)} ago`;
  return [h("dt", {}, label), h("dd", { title: at.toISOString(), "data-testid": `found-job-${label.toLowerCase().replaceAll(" ", "-")}` }, `${at.toLocaleString()} (${relative})`)];
}

function describeJob(job: JobStatus, now: number): HTMLElement {
  return h(
    "article",
    { class: "card", "data-testid": "found-job", "data-state": job.state },
    h("h3", {}, job.queue, " ", h("code", {}, job.jobId), " ", h("span", { class: `badge state-${job.state}`, "data-testid": "found-job-state" }, job.state)),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Attempts"),
      h("dd", {}, `${job.attemptsMade} of ${job.maxAttempts}`),
      ...when("Created", job.createdAt, now),
      ...when("Scheduled for", job.scheduledFor, now),
      ...when("Started", job.startedAt, now),
      ...when("Finished", job.finishedAt, now),
      ...when("Cancelled", job.cancelledAt, now),
      ...(job.failedReason ? [h("dt", {}, "Failed"), h("dd", {}, job.failedReason, job.nonRetryable ? h("span", { class: "badge" }, "permanent") : null)] : []),
      ...(job.attempts?.length
        ? [h("dt", {}, "Failed attempts"), h("dd", {}, h("ol", {}, ...job.attempts.map((attempt) => h("li", {}, `${attempt.at.toLocaleString()}: ${attempt.error}`))))]
        : []),
    ),
    job.result === undefined ? null : h("details", {}, h("summary", {}, "Result"), h("pre", { class: "data" }, JSON.stringify(job.result, null, 2))),
  );
}

export function createFindJobPanel(ctx: PanelContext, defaultQueue: string): Panel {
  let shown: JobRef | undefined;
  const startLoad = createLatest();
  const queueInput = h("input", { name: "queue", value: defaultQueue, autocomplete: "off", size: 10, "aria-label": "Queue" });
  const idInput = h("input", { name: "jobId", type: "search", autocomplete: "off", placeholder: "job id", size: 40, required: true, "aria-label": "Job id" });
  const form = h("form", { class: "filters", "data-testid": "find-job" }, h("label", {}, "Queue", queueInput), h("label", {}, "Job id", idInput), h("button", { type: "submit" }, "Find"));
  const card = h("div", {});
  // Outside the card, which each refresh replaces: what was typed, and an error, must survive refreshes.
  const actionError = h("p", { class: "error", role: "alert", "data-testid": "job-action-error", hidden: true });
  const controlsSlot = h("div", { hidden: true });
  const element = h("section", { id: "find-job", "aria-labelledby": "find-job-title" }, h("h2", { id: "find-job-title" }, "Find a job"), form, card, controlsSlot, actionError);

  const showError = (message: string | undefined) => {
    actionError.hidden = message === undefined;
    actionError.textContent = message ?? "";
  };
  /** A failed cancel or reschedule: the server's answer (409 JOB_NOT_PENDING, …) stays on the page; a key error ends the session. */
  const actionFailed = (what: string, error: unknown) => {
    if (isKeyError(error)) ctx.fail(error);
    else showError(`${what} failed: ${describeError(error)}`);
  };

  const load = async () => {
    if (!shown) return;
    const wanted = shown;
    const isLatest = startLoad();
    try {
      const job = await ctx.client.jobs.status({ queue: wanted.queue as "email", jobId: wanted.jobId });
      if (!isLatest()) return;
      replaceChildren(card, describeJob(job, ctx.now()));
      controlsSlot.hidden = !isPending(job.state);
    } catch (error) {
      // Not found is an answer, not a failure of the page.
      if (!(error instanceof TaskgateError && error.code === "NOT_FOUND")) throw error;
      if (!isLatest()) return;
      replaceChildren(card, h("p", { class: "muted", "data-testid": "found-nothing" }, `No job ${wanted.jobId} in queue ${wanted.queue}.`));
      controlsSlot.hidden = true;
    }
  };

  /** Cancel and reschedule for one job; built once per search, so typed values outlive the refreshes. */
  function jobControls(job: JobRef): HTMLElement {
    const cancel = h("button", { type: "button", class: "danger", "data-testid": "job-cancel" }, "Cancel job");
    cancel.addEventListener("click", async () => {
      showError(undefined);
      if (!(await confirmAction(`Cancel job ${job.jobId}? It will never run; this cannot be undone.`, "Cancel job", "Keep it"))) return;
      try {
        const result = await ctx.client.jobs.cancel({ queue: job.queue as "email", jobId: job.jobId });
        ctx.notify(`Job ${job.jobId} cancelled at ${formatDateTime(result.cancelledAt)}.`);
      } catch (error) {
        actionFailed(`Cancelling job ${job.jobId}`, error);
      }
      await load().catch(ctx.fail);
    });
    // Only email jobs can be rescheduled (`jobs.email.reschedule`); every queue's can be cancelled.
    if (job.queue !== "email") return h("div", { class: "job-controls", "data-testid": "job-controls" }, cancel);

    const sendAt = h("input", { name: "sendAt", type: "datetime-local", step: 1, "aria-label": "New time" });
    const delayMinutes = h("input", { name: "delayMinutes", type: "text", inputmode: "decimal", size: 6, placeholder: "e.g. 30", "aria-label": "Delay in minutes" });
    const reschedule = h(
      "form",
      { class: "filters", novalidate: true, "data-testid": "reschedule" },
      h("label", {}, "New time", sendAt),
      h("span", { class: "muted" }, "or"),
      h("label", {}, "In minutes from now", delayMinutes),
      h("button", { type: "submit" }, "Reschedule"),
    );
    reschedule.addEventListener("submit", async (event) => {
      event.preventDefault();
      const built = buildReschedule({ sendAt: sendAt.value, delayMinutes: delayMinutes.value }, ctx.now());
      if ("error" in built) return showError(built.error);
      showError(undefined);
      try {
        const result = await ctx.client.jobs.email.reschedule({ jobId: job.jobId, ...built.time });
        ctx.notify(`Job ${job.jobId} now runs at ${formatDateTime(result.scheduledFor)}.`);
        sendAt.value = "";
        delayMinutes.value = "";
      } catch (error) {
        actionFailed(`Rescheduling job ${job.jobId}`, error);
      }
      await load().catch(ctx.fail);
    });
    return h("div", { class: "job-controls", "data-testid": "job-controls" }, cancel, reschedule);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    shown = { queue: queueInput.value.trim(), jobId: idInput.value.trim() };
    showError(undefined);
    controlsSlot.hidden = true;
    replaceChildren(controlsSlot, jobControls(shown));
    void load().catch(ctx.fail);
  });
  return { element, refresh: load };
}
