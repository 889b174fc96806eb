/**
 * What one request costs under a rule: the rule's fixed cost, or, for `cost: "recipients"`,
 * the number of addresses a mail request sends to.
 */
import { RECIPIENTS_COST, type RateLimitRule } from "@taskgate/shared";
import type { RateLimitRequest } from "./matchRules.js";

function addresses(field: unknown): number {
  if (typeof field === "string") return 1;
  return Array.isArray(field) ? field.length : 0;
}

/**
 * Recipients of a mail request's validated input: the addresses in `to`, `cc` and `bcc`
 * (a repeated address counts each time: it is sent to each time). `undefined` for an input
 * that is not a mail (no `to`), e.g. a status read, or a procedure whose input the rate
 * limit runs before.
 */
export function recipientCount(input: unknown): number | undefined {
  if (typeof input !== "object" || input === null || !("to" in input)) return undefined;
  const { to, cc, bcc } = input as { to?: unknown; cc?: unknown; bcc?: unknown };
  return addresses(to) + addresses(cc) + addresses(bcc);
}

/**
 * Cost units of `request` under `rule`, at least 1. A `"recipients"` rule charges a request
 * that is not a mail 1, so a rule that also matches other routes still limits them (and a
 * request can never be free under a rule that matches it).
 */
export function requestCost(rule: Pick<RateLimitRule, "cost">, request: Pick<RateLimitRequest, "recipients">): number {
  if (rule.cost !== RECIPIENTS_COST) return rule.cost;
  const recipients = request.recipients;
  return recipients !== undefined && Number.isSafeInteger(recipients) && recipients > 1 ? recipients : 1;
}
