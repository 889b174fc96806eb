/**
 * What the API passes the limiter and the blocked log under the default config: those modules
 * have no defaults of their own, so tests that do not care pass these.
 */
import { CONFIG_DEFAULTS } from "@taskgate/shared";
import { blockedLogOptions, type RateLimiterOptions, type RecordBlockedOptions } from "../../src/rateLimit/index.js";

/** `failMode` and `commandTimeoutMs` as `createServerDeps` gives them from the default config. */
export const LIMITER_DEFAULTS: Pick<RateLimiterOptions, "failMode" | "commandTimeoutMs"> = {
  failMode: CONFIG_DEFAULTS.rateLimitFailMode,
  commandTimeoutMs: CONFIG_DEFAULTS.redisCommandTimeoutMs,
};

/** `recordBlocked`'s options from the default config (10 000 entries; 48 h and 30 days of counters). */
export const BLOCKED_LOG_DEFAULTS: RecordBlockedOptions = blockedLogOptions(CONFIG_DEFAULTS);
