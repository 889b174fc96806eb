/**
 * Producer-side idempotency (docs/OPERATIONS.md "The guarantees"): a Redis record per (scope, route, key) that
 * admits one attempt at a time, replays the stored response and gives the BullMQ job id.
 */
export {
  createIdempotencyStore,
  type ClaimInput,
  type ClaimOutcome,
  type CompleteInput,
  type IdempotencyRecordRef,
  type IdempotencyStore,
  type IdempotencyStoreOptions,
  type ReleaseInput,
} from "./store.js";
export { canonicalJson, fingerprint } from "./fingerprint.js";
export { idempotencyRecordKey, isValidIdempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH } from "./keys.js";
export { jobIdFromRecord } from "./jobId.js";
export { idempotencyScripts, type ClaimReply, type IdempotencyCommands } from "./scripts.js";
