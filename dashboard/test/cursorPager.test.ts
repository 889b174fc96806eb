import { describe, expect, it } from "vitest";
import { createCursorPager } from "../src/cursorPager.js";

describe("cursor pager", () => {
  it("goes older with the API's cursors and back newer with the ones it kept", () => {
    const pager = createCursorPager();
    expect([pager.index, pager.cursor, pager.firstItem(20)]).toEqual([0, undefined, 1]);
    pager.older("c1");
    pager.older("c2");
    expect([pager.index, pager.cursor, pager.firstItem(20)]).toEqual([2, "c2", 41]);
    pager.newer();
    expect([pager.index, pager.cursor]).toEqual([1, "c1"]);
    pager.newer();
    pager.newer();
    expect([pager.index, pager.cursor]).toEqual([0, undefined]);
  });

  it("forgets the pages beyond the current one when it goes older along a new path", () => {
    const pager = createCursorPager();
    pager.older("c1");
    pager.older("c2");
    pager.newer();
    pager.older("c2-new");
    expect([pager.index, pager.cursor]).toEqual([2, "c2-new"]);
    pager.reset();
    expect([pager.index, pager.cursor]).toEqual([0, undefined]);
    pager.older("again");
    expect(pager.cursor).toBe("again");
  });
});
