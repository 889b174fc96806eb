/**
 * Helpers for the rate-limit tests: rules with schema defaults.
 */
import { rateLimitRule, type RateLimitRule, type RateLimitRuleInput } from "@taskgate/shared";

/** A rule through the real schema, so defaults (priority 100, cost 1) are the real ones. */
export function rule(input: RateLimitRuleInput): RateLimitRule {
  return rateLimitRule.parse(input);
}
