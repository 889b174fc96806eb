import { describe, expect, it } from "vitest";
import { minuteCounts } from "../../src/observability/index.js";

const MIN = 60_000;
const now = 1_000 * MIN + 30_000; // half way through minute 1000

describe("minuteCounts: BullMQ's per-minute metrics laid out as the last hour", () => {
  it("reads all zeros before any job finished", () => {
    expect(minuteCounts({ meta: { count: 0, prevTS: 0, prevCount: 0 }, data: [] }, now, 5)).toEqual([0, 0, 0, 0, 0]);
  });

  it("puts the not-yet-pushed count in the minute of prevTS and data[i] in the minutes before it", () => {
    // Last finish in minute 998: 4 jobs since the last push; minutes 997 and 996 had 2 and 7.
    const metrics = { meta: { count: 20, prevTS: 998 * MIN + 5_000, prevCount: 16 }, data: [2, 7, 1] };
    expect(minuteCounts(metrics, now, 5)).toEqual([7, 2, 4, 0, 0]);
  });

  it("drops minutes older than the window", () => {
    const metrics = { meta: { count: 3, prevTS: 1_000 * MIN, prevCount: 1 }, data: [5, 6, 9, 9] };
    expect(minuteCounts(metrics, now, 3)).toEqual([6, 5, 2]);
  });
});
