import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { compileRules, hashApiKey, matchRules } from "../../src/rateLimit/index.js";
import { rule } from "./support.js";

const names = (matched: { rule: { name: string } }[]) => matched.map((m) => m.rule.name);

describe("matchRules", () => {
  const rules = [
    rule({ name: "all", key: "ip", limit: 10, windowMs: 60_000 }),
    rule({ name: "star", key: "ip", limit: 10, windowMs: 60_000, routes: ["*"] }),
    rule({ name: "email", key: "user", limit: 10, windowMs: 60_000, routes: ["POST /jobs/email"] }),
    rule({ name: "jobs", key: "global", limit: 10, windowMs: 60_000, routes: ["GET /jobs/*", "POST /jobs/email/*"] }),
  ];
  const matcher = compileRules(rules);

  it("matches routes exactly, by prefix before a trailing *, and a lone * everywhere", () => {
    expect(names(matcher.match({ route: "POST /jobs/email", ip: "1.1.1.1", userId: "u" }))).toEqual(["all", "star", "email"]);
    expect(names(matcher.match({ route: "POST /jobs/email/schedule", ip: "1.1.1.1", userId: "u" }))).toEqual(["all", "star", "jobs"]);
    expect(names(matcher.match({ route: "GET /jobs/123", ip: "1.1.1.1" }))).toEqual(["all", "star", "jobs"]);
    expect(names(matcher.match({ route: "GET /health", ip: "1.1.1.1" }))).toEqual(["all", "star"]);
    // Exact means exact: no prefix match without a *.
    expect(names(matcher.match({ route: "POST /jobs/emails", ip: "1.1.1.1", userId: "u" }))).toEqual(["all", "star"]);
  });

  it("counts each rule under its identity", () => {
    const matched = matchRules(
      [
        rule({ name: "i", key: "ip", limit: 1, windowMs: 1000 }),
        rule({ name: "u", key: "user", limit: 1, windowMs: 1000 }),
        rule({ name: "g", key: "global", limit: 1, windowMs: 1000 }),
      ],
      { route: "GET /x", ip: "::1", userId: "u-7" },
    );
    expect(matched.map((m) => [m.rule.name, m.identity])).toEqual([
      ["i", "::1"],
      ["u", "u-7"],
      ["g", "global"],
    ]);
  });

  it("skips a user rule for a request without a user, and an apiKey rule without a key", () => {
    const matched = matchRules(
      [rule({ name: "u", key: "user", limit: 1, windowMs: 1000 }), rule({ name: "k", key: "apiKey", limit: 1, windowMs: 1000 })],
      { route: "GET /x", ip: "1.1.1.1" },
    );
    expect(matched).toEqual([]);
  });

  it("identifies an apiKey rule by the SHA-256 of the key, never the key itself", () => {
    const key = "sk_live_0123456789abcdef";
    const [matched] = matchRules([rule({ name: "k", key: "apiKey", limit: 1, windowMs: 1000 })], { route: "GET /x", ip: "1.1.1.1", apiKey: key });
    expect(matched?.identity).toBe(createHash("sha256").update(key).digest("hex"));
    expect(matched?.identity).toBe(hashApiKey(key));
    expect(matched?.identity).not.toContain(key);
  });

  it("applies a tier-restricted rule only to callers of those tiers", () => {
    const tiered = compileRules([rule({ name: "free", key: "user", limit: 1, windowMs: 1000, tiers: ["free", "trial"] })]);
    expect(names(tiered.match({ route: "GET /x", ip: "1", userId: "u", tier: "free" }))).toEqual(["free"]);
    expect(names(tiered.match({ route: "GET /x", ip: "1", userId: "u", tier: "trial" }))).toEqual(["free"]);
    expect(names(tiered.match({ route: "GET /x", ip: "1", userId: "u", tier: "pro" }))).toEqual([]);
    expect(names(tiered.match({ route: "GET /x", ip: "1", userId: "u" }))).toEqual([]);
  });

  it("refuses a rule whose cost exceeds its limit", () => {
    const bad = { ...rule({ name: "x", key: "ip", limit: 5, windowMs: 1000 }), cost: 6 };
    expect(() => compileRules([bad])).toThrow(/cost 6 exceeds limit 5/);
  });
});
