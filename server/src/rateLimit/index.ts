/**
 * Rate limiting: exact sliding windows over Redis sorted sets, all of a request's rules in one
 * Lua call; the IETF headers; and the log of blocked requests.
 */
export {
  createRateLimiter,
  pickReported,
  rateLimitKeyPrefix,
  DEFAULT_COMMAND_TIMEOUT_MS,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitDecision,
  type RateLimitFailMode,
  type RateLimitFailure,
} from "./limiter.js";
export { recipientCount, requestCost } from "./cost.js";
export { compileRules, matchRules, hashApiKey, type MatchedRule, type RateLimitRequest, type RuleMatcher } from "./matchRules.js";
export { formatRateLimit, formatRateLimitHeaders, formatRateLimitPolicy, retryAfterSeconds } from "./headers.js";
export {
  recordBlocked,
  readBlocked,
  scanBlocked,
  DEFAULT_BLOCKED_LOG_MAX,
  type BlockedEntry,
  type BlockedLogEntry,
  type BlockedLogScan,
  type ReadBlockedFilters,
  type RecordBlockedOptions,
} from "./blockedLog.js";
export { slidingWindowScript, type SlidingWindowCommands } from "./scripts.js";
