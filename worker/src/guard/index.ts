/**
 * The execution guard: an owned, expiring lease per job effect in Redis, so an email is sent
 * effectively once although BullMQ runs jobs at least once.
 */
export {
  createEffectGuard,
  type ClaimResult,
  type EffectGuard,
  type EffectGuardOptions,
} from "./effectGuard.js";
export { runGuarded, type AfterEffectHook, type RunGuardedOptions, type RunGuardedResult } from "./runGuarded.js";
export { EffectBusyError, isEffectBusyError } from "./errors.js";
export { effectGuardScripts, type EffectClaimReply, type EffectGuardCommands } from "./scripts.js";
