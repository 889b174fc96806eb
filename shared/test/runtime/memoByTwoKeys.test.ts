import { describe, expect, it } from "vitest";
import { memoByTwoKeys } from "../../src/runtime/memoByTwoKeys.js";

describe("memoByTwoKeys", () => {
  it("makes each pair's value once and hands back that same value, pairs kept apart by both keys", () => {
    const made: string[] = [];
    const valueOf = memoByTwoKeys((route: string, status: number) => {
      made.push(`${route} ${status}`);
      return { route, status };
    });
    const first = valueOf("POST /jobs/email", 202);
    expect(valueOf("POST /jobs/email", 202)).toBe(first);
    expect(valueOf("POST /jobs/email", 429)).toEqual({ route: "POST /jobs/email", status: 429 });
    expect(valueOf("GET /health", 202)).toEqual({ route: "GET /health", status: 202 });
    // "a" + "bc" and "ab" + "c" are different pairs, not one joined key.
    const joined = memoByTwoKeys((a: string, b: string) => a + "|" + b);
    expect([joined("a", "bc"), joined("ab", "c")]).toEqual(["a|bc", "ab|c"]);
    expect(made).toEqual(["POST /jobs/email 202", "POST /jobs/email 429", "GET /health 202"]);
  });

  it("keeps a made value that is undefined rather than making it again", () => {
    let calls = 0;
    const valueOf = memoByTwoKeys((_a: string, _b: string) => {
      calls += 1;
      return undefined;
    });
    valueOf("x", "y");
    valueOf("x", "y");
    expect(calls).toBe(1);
  });
});
