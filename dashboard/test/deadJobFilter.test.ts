import { describe, expect, it } from "vitest";
import { buildDeadJobFilter, countDeadJobs, describeDeadJobFilter, isEmptyFilter, parseLocalDateTime } from "../src/deadJobFilter.js";

const empty = { q: "", userId: "", since: "", until: "" };

describe("dead-job search form", () => {
  it("leaves out blank fields and trims the rest", () => {
    expect(buildDeadJobFilter(empty)).toEqual({ filter: {} });
    expect(buildDeadJobFilter({ ...empty, q: "  alice@example.com ", userId: " user-a " })).toEqual({ filter: { q: "alice@example.com", userId: "user-a" } });
  });

  it("reads the time bounds as local date and time, to epoch ms", () => {
    const built = buildDeadJobFilter({ ...empty, since: "2026-03-01T10:00", until: "2026-03-02T09:30:15" });
    expect(built).toEqual({ filter: { since: new Date(2026, 2, 1, 10, 0).getTime(), until: new Date(2026, 2, 2, 9, 30, 15).getTime() } });
  });

  it("refuses a time that is not one, and bounds that cannot match anything", () => {
    expect(buildDeadJobFilter({ ...empty, since: "yesterday" })).toEqual({ error: expect.stringContaining("not a date and time") });
    expect(buildDeadJobFilter({ ...empty, until: "2026-02-31T10:00" })).toEqual({ error: expect.stringContaining("Died until") });
    expect(buildDeadJobFilter({ ...empty, since: "2026-03-02T10:00", until: "2026-03-01T10:00" })).toEqual({ error: expect.stringContaining("after") });
  });

  it("refuses text longer than the API takes", () => {
    expect(buildDeadJobFilter({ ...empty, q: "x".repeat(201) })).toHaveProperty("error");
    expect(buildDeadJobFilter({ ...empty, userId: "u".repeat(129) })).toHaveProperty("error");
    expect(buildDeadJobFilter({ ...empty, q: "x".repeat(200) })).toHaveProperty("filter");
  });

  it("parses datetime-local values strictly", () => {
    expect(parseLocalDateTime("2026-01-05T04:03")).toBe(new Date(2026, 0, 5, 4, 3).getTime());
    expect(parseLocalDateTime("2026-01-05T04:03:07.250")).toBe(new Date(2026, 0, 5, 4, 3, 7).getTime());
    expect(parseLocalDateTime("2026-01-05")).toBeUndefined();
    expect(parseLocalDateTime("2026-13-01T00:00")).toBeUndefined();
    expect(parseLocalDateTime("2026-01-05T24:30")).toBeUndefined();
  });

  it("knows an empty filter", () => {
    expect(isEmptyFilter({})).toBe(true);
    expect(isEmptyFilter({ userId: "u" })).toBe(false);
    expect(isEmptyFilter({ since: 0 })).toBe(false);
  });
});

describe("dead-job filter in words", () => {
  const since = new Date(2026, 2, 1, 10, 0, 0).getTime();
  const until = new Date(2026, 2, 2, 10, 0, 0).getTime();

  it("names every part, in the order a person reads them", () => {
    expect(describeDeadJobFilter({ q: "alice@example.com", userId: "user-a", since, until })).toBe(
      'matching "alice@example.com", owned by user-a, that died between 2026-03-01 10:00:00 and 2026-03-02 10:00:00',
    );
  });

  it("says one bound alone as such, and nothing for an empty filter", () => {
    expect(describeDeadJobFilter({ since })).toBe("that died since 2026-03-01 10:00:00");
    expect(describeDeadJobFilter({ until })).toBe("that died by 2026-03-02 10:00:00");
    expect(describeDeadJobFilter({ userId: "user-b" })).toBe("owned by user-b");
    expect(describeDeadJobFilter({})).toBe("");
  });

  it("counts in the singular and plural", () => {
    expect(countDeadJobs(1)).toBe("1 dead job");
    expect(countDeadJobs(3)).toBe("3 dead jobs");
    expect(countDeadJobs(0)).toBe("0 dead jobs");
  });
});
