/** Queues: each queue's jobs by state, and jobs completed and died per minute over the last hour. */
import type { QueueOverview } from "../api.js";
import { lineChart } from "../chart.js";
import { h, replaceChildren } from "../dom.js";
import type { Panel, PanelContext } from "../panel.js";

const STATES = ["waiting", "scheduled", "active", "retrying", "completed", "dead"] as const;

function queueCard(queue: QueueOverview): HTMLElement {
  const counts = h(
    "dl",
    { class: "counts" },
    ...STATES.map((state) => h("div", { class: `count ${state}`, "data-state": state }, h("dt", {}, state), h("dd", {}, queue.counts[state]))),
  );
  const starts = queue.perMinute.map((minute) => minute.start);
  // The legend shows each series' total beside its name. Named "dead", the died-per-minute total
  // ("dead 9") sat next to the `dead` counter ("dead 3": dead jobs kept now, fewer once some are
  // retried or deleted) and read as a contradiction; the names say they are events of the last hour.
  const chart = lineChart(
    "Jobs completed and died per minute, last hour",
    starts,
    [
      { name: "completed in the last hour", className: "ok", values: queue.perMinute.map((minute) => minute.completed) },
      { name: "died in the last hour", className: "bad", values: queue.perMinute.map((minute) => minute.failed) },
    ],
    `queue-chart-${queue.name}`,
  );
  return h(
    "article",
    { class: "card queue-card", "data-testid": `queue-${queue.name}` },
    h("div", {}, h("h3", {}, queue.name, queue.paused ? h("span", { class: "badge" }, "paused") : null), counts),
    chart,
  );
}

/** The queues section; `onQueues` learns the queue names (the dead-jobs sections are made per queue). */
export function createQueuesPanel(ctx: PanelContext, onQueues: (names: string[]) => void): Panel {
  const body = h("div", { class: "cards" }, h("p", { class: "muted" }, "Loading…"));
  const element = h("section", { id: "queues", "aria-labelledby": "queues-title" }, h("h2", { id: "queues-title" }, "Queues"), body);
  return {
    element,
    async refresh() {
      const { queues } = await ctx.client.monitoring.queues();
      onQueues(queues.map((queue) => queue.name));
      replaceChildren(body, ...(queues.length === 0 ? [h("p", { class: "muted" }, "No queues.")] : queues.map(queueCard)));
    },
  };
}
