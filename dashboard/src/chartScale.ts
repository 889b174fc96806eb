/**
 * The geometry of the dashboard's line charts, apart from the DOM: from series of counts to SVG
 * polyline points on a fixed canvas, with a "nice" top of the y axis.
 */

/** Canvas of every chart, in SVG user units; the SVG scales to its container. */
export const CHART = { width: 600, height: 160, left: 36, right: 8, top: 8, bottom: 20 } as const;

/** The smallest 1, 2 or 5 × 10^n at or above `max` (at least 1), so the axis reads well. */
export function niceCeiling(max: number): number {
  if (!(max > 1)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}

/**
 * `points` attribute of an SVG polyline for `values` (oldest first) drawn from the left edge to
 * the right edge of the plot area, 0 at the bottom and `top` at the top.
 */
export function polylinePoints(values: readonly number[], top: number): string {
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const step = values.length > 1 ? plotWidth / (values.length - 1) : 0;
  return values
    .map((value, i) => {
      const x = CHART.left + i * step;
      const y = CHART.top + plotHeight - (Math.min(Math.max(value, 0), top) / top) * plotHeight;
      return `${round(x)},${round(y)}`;
    })
    .join(" ");
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
