/**
 * A small SVG line chart: a few series of per-minute counts over the same minutes, a legend with
 * each series' total, and the y axis' top. Hand-drawn instead of a charting library, to keep the
 * page a few kilobytes and free of third-party code with access to admin data.
 */
import { h } from "./dom.js";
import { CHART, niceCeiling, polylinePoints } from "./chartScale.js";
import { formatMinute } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

/** One line: a name, a CSS class for its colour, and one value per bucket. */
export interface ChartSeries {
  name: string;
  className: string;
  values: readonly number[];
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A figure with a title, the chart and its legend; `starts` are the buckets' start times. */
export function lineChart(title: string, starts: readonly Date[], series: readonly ChartSeries[], testId: string): HTMLElement {
  const top = niceCeiling(Math.max(0, ...series.flatMap((s) => s.values)));
  const bottomY = CHART.height - CHART.bottom;
  const chart = svg("svg", { viewBox: `0 0 ${CHART.width} ${CHART.height}`, role: "img", class: "chart" });
  chart.append(
    svg("line", { x1: CHART.left, y1: bottomY, x2: CHART.width - CHART.right, y2: bottomY, class: "axis" }),
    svg("line", { x1: CHART.left, y1: CHART.top, x2: CHART.left, y2: bottomY, class: "axis" }),
    svg("text", { x: CHART.left - 4, y: CHART.top + 8, "text-anchor": "end", class: "tick" }, String(top)),
    svg("text", { x: CHART.left - 4, y: bottomY, "text-anchor": "end", class: "tick" }, "0"),
  );
  const first = starts[0];
  const last = starts.at(-1);
  if (first && last) {
    chart.append(
      svg("text", { x: CHART.left, y: CHART.height - 4, class: "tick" }, formatMinute(first)),
      svg("text", { x: CHART.width - CHART.right, y: CHART.height - 4, "text-anchor": "end", class: "tick" }, formatMinute(last)),
    );
  }
  for (const line of series) chart.append(svg("polyline", { points: polylinePoints(line.values, top), class: `line ${line.className}` }));

  const totals = series.map((line) => ({ line, total: line.values.reduce((sum, value) => sum + value, 0) }));
  chart.setAttribute("aria-label", `${title}: ${totals.map(({ line, total }) => `${line.name} ${total}`).join(", ")}`);
  const legend = h(
    "ul",
    { class: "legend" },
    ...totals.map(({ line, total }) => h("li", { "data-series": line.name }, h("span", { class: `swatch ${line.className}` }), `${line.name} `, h("strong", {}, total))),
  );
  return h("figure", { class: "chart-box", "data-testid": testId }, h("figcaption", {}, title), chart, legend);
}
