/**
 * Rate limiting: exact sliding windows over Redis sorted sets, all of a request's rules in one
 * Lua call; the IETF headers; and the log of blocked requests.
 */
export {
  createRateLimiter,
  pickReported,
  rateLimitKeyPrefix,
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
  blockedLogOptions,
  readBlocked,
  scanBlocked,
  type BlockedEntry,
  type BlockedLogEntry,
  type BlockedLogScan,
  type ReadBlockedFilters,
  type RecordBlockedOptions,
} from "./blockedLog.js";
export { slidingWindowScript, type SlidingWindowCommands } from "./scripts.js";
export { createPolicyStore, type PolicyChange, type PolicyStore, type PolicyStoreOptions } from "./policy/policyStore.js";
export { createPolicyCache, type PolicyCache, type PolicyCacheOptions } from "./policy/policyCache.js";
export { compilePolicy, overrideKey, staticPolicy, type ActiveOverride, type ActivePolicy, type PolicySource } from "./policy/activePolicy.js";
export { configHashOf, keptOverrides, overrideMisfit, toPublicPolicy, type StoredOverride, type StoredPolicy, type VersionedPolicy } from "./policy/policyDoc.js";
export { policyWriteScript, type PolicyWriteCommands } from "./policy/scripts.js";
export { deleteOverride, replaceRules, setOverride, type OverrideFields } from "./policy/policyChanges.js";
