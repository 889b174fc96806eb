import { describe, expect, it } from "vitest";
import { createLatest } from "../src/latest.js";

describe("latest load", () => {
  it("holds for the newest load only, whatever order the answers come back in", () => {
    const startLoad = createLatest();
    const first = startLoad();
    expect(first()).toBe(true);
    const second = startLoad();
    expect([first(), second()]).toEqual([false, true]);
    // Separate panels do not overtake each other.
    const other = createLatest()();
    expect([second(), other()]).toEqual([true, true]);
  });
});
