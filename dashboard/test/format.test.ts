import { describe, expect, it } from "vitest";
import { describeEmail, formatAge, formatDuration } from "../src/format.js";

describe("dashboard formatting", () => {
  it("gives ages in the coarsest sensible unit", () => {
    const now = Date.UTC(2026, 0, 10, 12, 0, 0);
    const ago = (ms: number) => formatAge(new Date(now - ms), now);
    expect([ago(0), ago(59_000), ago(60_000), ago(3_599_000), ago(3_600_000), ago(47 * 3_600_000), ago(48 * 3_600_000), ago(-5000)]).toEqual([
      "0 s",
      "59 s",
      "1 min",
      "59 min",
      "1 h",
      "47 h",
      "2 d",
      "0 s",
    ]);
  });

  it("gives durations as people say them", () => {
    expect([850, 1500, 60_000, 90_000, 3_600_000, 5_400_000].map(formatDuration)).toEqual(["850 ms", "1.5 s", "1 min", "1.5 min", "1 h", "1.5 h"]);
  });

  it("reads recipient and subject from job data of any shape without throwing", () => {
    expect(describeEmail({ email: { to: "a@example.com", subject: "Hi" } })).toEqual({ to: "a@example.com", subject: "Hi" });
    expect(describeEmail({ email: { to: ["a@example.com", "b@example.com", 3], subject: 7 } })).toEqual({ to: "a@example.com, b@example.com", subject: "" });
    for (const data of [null, undefined, "text", 42, [], { email: null }, { email: "x" }]) expect(describeEmail(data)).toEqual({ to: "", subject: "" });
  });
});
