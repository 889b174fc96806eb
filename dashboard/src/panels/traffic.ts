/** Traffic: requests per minute by status class, and blocked requests per minute, over the last hour. */
import { lineChart } from "../chart.js";
import { h, replaceChildren } from "../dom.js";
import type { Panel, PanelContext } from "../panel.js";
import { countInClass } from "../statusClass.js";

/** Status classes always drawn, so the colours and the legend do not jump around. */
const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx"] as const;
const CLASS_COLOURS: Record<(typeof STATUS_CLASSES)[number], string> = { "2xx": "ok", "3xx": "info", "4xx": "warn", "5xx": "bad" };

export function createTrafficPanel(ctx: PanelContext): Panel {
  const body = h("div", { class: "cards" }, h("p", { class: "muted" }, "Loading…"));
  const element = h("section", { id: "traffic", "aria-labelledby": "traffic-title" }, h("h2", { id: "traffic-title" }, "Traffic"), body);
  return {
    element,
    async refresh() {
      const [requests, blocked] = await Promise.all([ctx.client.monitoring.requestMetrics({ bucket: "minute" }), ctx.client.monitoring.blockedMetrics({ bucket: "minute" })]);
      const requestChart = lineChart(
        "Requests per minute by status class",
        requests.series.map((bucket) => bucket.start),
        STATUS_CLASSES.map((status) => ({ name: status, className: CLASS_COLOURS[status], values: requests.series.map((bucket) => countInClass(bucket.byStatus, status)) })),
        "requests-chart",
      );
      const blockedChart = lineChart(
        "Blocked requests per minute",
        blocked.series.map((bucket) => bucket.start),
        [{ name: "blocked", className: "bad", values: blocked.series.map((bucket) => bucket.total) }],
        "blocked-chart",
      );
      replaceChildren(body, h("article", { class: "card" }, requestChart), h("article", { class: "card" }, blockedChart));
    },
  };
}
