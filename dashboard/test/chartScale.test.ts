import { describe, expect, it } from "vitest";
import { CHART, niceCeiling, polylinePoints } from "../src/chartScale.js";

const points = (attribute: string) => attribute.split(" ").map((pair) => pair.split(",").map(Number) as [number, number]);
const bottom = CHART.height - CHART.bottom;

describe("chart scale", () => {
  it("rounds the top of the y axis up to 1, 2 or 5 × 10^n, and never below 1", () => {
    expect([0, -3, Number.NaN, 0.4, 1, 3, 7, 10, 11, 99, 101, 4999, 5001].map(niceCeiling)).toEqual([1, 1, 1, 1, 1, 5, 10, 10, 20, 100, 200, 5000, 10000]);
  });

  it("spreads the values from the left edge to the right edge, 0 at the bottom and the top at the top", () => {
    const drawn = points(polylinePoints([0, 5, 10], 10));
    expect(drawn.map(([x]) => x)).toEqual([CHART.left, (CHART.left + CHART.width - CHART.right) / 2, CHART.width - CHART.right]);
    expect(drawn.map(([, y]) => y)).toEqual([bottom, (bottom + CHART.top) / 2, CHART.top]);
  });

  it("keeps negative and over-the-top values inside the plot", () => {
    const ys = points(polylinePoints([-4, 50], 10)).map(([, y]) => y);
    expect(ys).toEqual([bottom, CHART.top]);
  });
});
