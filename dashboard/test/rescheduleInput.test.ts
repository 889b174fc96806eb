import { describe, expect, it } from "vitest";
import { buildReschedule, isPending, MAX_RESCHEDULE_AHEAD_MS } from "../src/rescheduleInput.js";

const NOW = new Date(2026, 2, 1, 12, 0, 0).getTime();
const none = { sendAt: "", delayMinutes: "" };

describe("job controls", () => {
  it("offers cancel and reschedule only for a job that has not started", () => {
    expect(["waiting", "scheduled"].map(isPending)).toEqual([true, true]);
    expect(["active", "retrying", "completed", "dead", "cancelled"].map(isPending)).toEqual([false, false, false, false, false]);
  });
});

describe("reschedule form", () => {
  it("turns a local time into sendAt", () => {
    expect(buildReschedule({ ...none, sendAt: "2026-03-01T13:30" }, NOW)).toEqual({ time: { sendAt: new Date(2026, 2, 1, 13, 30) } });
  });

  it("turns a delay in minutes into delayMs, fractions included", () => {
    expect(buildReschedule({ ...none, delayMinutes: "30" }, NOW)).toEqual({ time: { delayMs: 1_800_000 } });
    expect(buildReschedule({ ...none, delayMinutes: " 1.5 " }, NOW)).toEqual({ time: { delayMs: 90_000 } });
  });

  it("asks for exactly one of the two", () => {
    expect(buildReschedule(none, NOW)).toEqual({ error: expect.stringContaining("Give a new time") });
    expect(buildReschedule({ sendAt: "2026-03-01T13:30", delayMinutes: "5" }, NOW)).toEqual({ error: expect.stringContaining("not both") });
  });

  it("refuses a time that has passed, is too far ahead, or is not a time", () => {
    expect(buildReschedule({ ...none, sendAt: "2026-03-01T12:00" }, NOW)).toEqual({ error: expect.stringContaining("passed") });
    expect(buildReschedule({ ...none, sendAt: "2026-04-01T12:00" }, NOW)).toEqual({ error: expect.stringContaining("30 days") });
    expect(buildReschedule({ ...none, sendAt: "soon" }, NOW)).toEqual({ error: expect.stringContaining("not a date and time") });
  });

  it("refuses a delay that is not a positive number of minutes up to 30 days", () => {
    for (const text of ["-5", "abc", "1e3", "0", "0.000001"]) expect(buildReschedule({ ...none, delayMinutes: text }, NOW)).toHaveProperty("error");
    expect(buildReschedule({ ...none, delayMinutes: String(MAX_RESCHEDULE_AHEAD_MS / 60_000) }, NOW)).toEqual({ time: { delayMs: MAX_RESCHEDULE_AHEAD_MS } });
    expect(buildReschedule({ ...none, delayMinutes: String(MAX_RESCHEDULE_AHEAD_MS / 60_000 + 1) }, NOW)).toEqual({ error: expect.stringContaining("30 days") });
  });
});
