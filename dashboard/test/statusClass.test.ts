import { describe, expect, it } from "vitest";
import { countInClass } from "../src/statusClass.js";

describe("countInClass", () => {
  it("sums the exact codes of one class and ignores the others", () => {
    const byStatus = { "200": 3, "202": 4, "404": 1, "429": 5, "503": 2 };
    expect(countInClass(byStatus, "2xx")).toBe(7);
    expect(countInClass(byStatus, "4xx")).toBe(6);
    expect(countInClass(byStatus, "5xx")).toBe(2);
    expect(countInClass(byStatus, "3xx")).toBe(0);
  });
});
