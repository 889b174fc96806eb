import { describe, expect, it } from "vitest";
import { MAX_RULE_COST, parseConfig, rateLimitRule } from "@taskgate/shared";

const base = { name: "r", key: "user", limit: 5, windowMs: 60_000 } as const;

describe("rate-limit rule cost", () => {
  it("defaults to 1 and takes a positive integer up to the limit", () => {
    expect(rateLimitRule.parse(base).cost).toBe(1);
    expect(rateLimitRule.parse({ ...base, cost: 5 }).cost).toBe(5);
  });

  it('takes "recipients", whatever the limit', () => {
    expect(rateLimitRule.parse({ ...base, cost: "recipients" }).cost).toBe("recipients");
    expect(rateLimitRule.parse({ ...base, limit: 1, cost: "recipients" }).cost).toBe("recipients");
  });

  it.each([[0], [-1], [1.5], ["all"], ["1"], [null]])("refuses %j", (cost) => {
    const result = rateLimitRule.safeParse({ ...base, cost });
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["cost"]);
  });

  it("refuses a fixed cost above the limit", () => {
    expect(rateLimitRule.safeParse({ ...base, cost: 6 }).error?.issues).toMatchObject([{ path: ["cost"], message: "cost must not exceed limit" }]);
  });

  it(`refuses a fixed cost above ${MAX_RULE_COST}, whatever the limit (the limiter records one member per unit)`, () => {
    const high = { ...base, limit: 100_000_000 };
    expect(rateLimitRule.parse({ ...high, cost: MAX_RULE_COST }).cost).toBe(MAX_RULE_COST);
    expect(rateLimitRule.safeParse({ ...high, cost: MAX_RULE_COST + 1 }).error?.issues).toMatchObject([{ path: ["cost"], message: `cost is at most ${MAX_RULE_COST}` }]);
  });

  it("names a bad cost in the start-up error", () => {
    expect(() => parseConfig({ RATE_LIMIT_RULES: JSON.stringify([{ ...base, cost: "each" }]) })).toThrow(/RATE_LIMIT_RULES.*0\.cost.*"recipients"/s);
  });
});
