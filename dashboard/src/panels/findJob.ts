/**
 * Find a job by id (from a log line, a support ticket, a dead-job row): its state, attempts,
 * times, result or failure, through `jobs.status`. The job shown refreshes with the page, so a
 * retried job can be watched until it completes.
 */
import { TaskgateError, type TaskgateClient } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { formatAge } from "../format.js";
import { createLatest } from "../latest.js";
import type { Panel, PanelContext } from "../panel.js";

type JobStatus = Awaited<ReturnType<TaskgateClient["jobs"]["status"]>>;

function when(label: string, at: Date | undefined, now: number): HTMLElement[] {
  if (!at) return [];
  return [h("dt", {}, label), h("dd", { title: at.toISOString() }, `${at.toLocaleString()} (${formatAge(at, now)} ${at.getTime() > now ? "from now" : "ago"})`)];
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
      ...(job.failedReason ? [h("dt", {}, "Failed"), h("dd", {}, job.failedReason, job.nonRetryable ? h("span", { class: "badge" }, "permanent") : null)] : []),
      ...(job.attempts?.length
        ? [h("dt", {}, "Failed attempts"), h("dd", {}, h("ol", {}, ...job.attempts.map((attempt) => h("li", {}, `${attempt.at.toLocaleString()}: ${attempt.error}`))))]
        : []),
    ),
    job.result === undefined ? null : h("details", {}, h("summary", {}, "Result"), h("pre", { class: "data" }, JSON.stringify(job.result, null, 2))),
  );
}

export function createFindJobPanel(ctx: PanelContext, defaultQueue: string): Panel {
  let shown: { queue: string; jobId: string } | undefined;
  const startLoad = createLatest();
  const queueInput = h("input", { name: "queue", value: defaultQueue, autocomplete: "off", size: 10, "aria-label": "Queue" });
  const idInput = h("input", { name: "jobId", type: "search", autocomplete: "off", placeholder: "job id", size: 40, required: true, "aria-label": "Job id" });
  const form = h("form", { class: "filters", "data-testid": "find-job" }, h("label", {}, "Queue", queueInput), h("label", {}, "Job id", idInput), h("button", { type: "submit" }, "Find"));
  const body = h("div", {});
  const element = h("section", { id: "find-job", "aria-labelledby": "find-job-title" }, h("h2", { id: "find-job-title" }, "Find a job"), form, body);

  const load = async () => {
    if (!shown) return;
    const wanted = shown;
    const isLatest = startLoad();
    try {
      const job = await ctx.client.jobs.status({ queue: wanted.queue as "email", jobId: wanted.jobId });
      if (isLatest()) replaceChildren(body, describeJob(job, ctx.now()));
    } catch (error) {
      // Not found is an answer, not a failure of the page.
      if (!(error instanceof TaskgateError && error.code === "NOT_FOUND")) throw error;
      if (isLatest()) replaceChildren(body, h("p", { class: "muted", "data-testid": "found-nothing" }, `No job ${wanted.jobId} in queue ${wanted.queue}.`));
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    shown = { queue: queueInput.value.trim(), jobId: idInput.value.trim() };
    void load().catch(ctx.fail);
  });
  return { element, refresh: load };
}
