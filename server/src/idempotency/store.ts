/**
 * The producer-side idempotency store: claim a (scope, route, key) record with a lease, then
 * store the response or release the claim. Each call is one Lua script, one Redis round trip.
 */
import { randomFillSync } from "node:crypto";
import type { Cluster, Redis } from "ioredis";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { idempotencyRecordKeys, isValidIdempotencyKey } from "./keys.js";
import { idempotencyScripts, type IdempotencyCommands } from "./scripts.js";

/** Options of `createIdempotencyStore`. */
export interface IdempotencyStoreOptions {
  /** ioredis client (standalone or Cluster); the store registers its scripts on it. */
  redis: Redis | Cluster;
  /** Prefix of every key (`KEY_PREFIX`, e.g. `tg`); records live under `<prefix>:idem:`. */
  keyPrefix: string;
  /** How long a record is kept after its last claim or completion, in ms; required, the config's `idempotencyTtlMs` (default 24 h). */
  ttlMs: number;
  /**
   * How long an attempt owns a claimed record before another request may take it over, in ms.
   * Longer than the slowest enqueue; a crashed attempt blocks its key this long. Required, the
   * config's `idempotencyLeaseMs` (default 30 000).
   */
  leaseMs: number;
}

/** Which record a call is about. */
export interface IdempotencyRecordRef {
  /** Who the key belongs to: the user id, or `ip:<addr>` in open mode. */
  scope: string;
  /** The REST alias of the route, e.g. `POST /jobs/email` (tRPC calls use their alias). */
  route: string;
  /** The client's Idempotency-Key (checked with `isValidIdempotencyKey`; throws RangeError if not). */
  key: string;
}

/** Input of `claim`. */
export interface ClaimInput extends IdempotencyRecordRef {
  /** `fingerprint(validatedBody)`: SHA-256 hex of the canonical body. */
  fingerprint: string;
}

/** Input of `complete`. */
export interface CompleteInput extends IdempotencyRecordRef {
  /** The token the claim returned. */
  token: string;
  /** HTTP status to replay, an integer (e.g. 202). */
  status: number;
  /** Response body to replay, serialized by the caller (JSON or superjson text). */
  body: string;
}

/** Input of `release`. */
export interface ReleaseInput extends IdempotencyRecordRef {
  /** The token the claim returned. */
  token: string;
  /**
   * True when nothing can have been enqueued under this record: the claim started it (`fresh`)
   * and the attempt failed before reaching the enqueue. The record is then deleted instead of
   * kept as released; default false.
   */
  forget?: boolean;
}

/**
 * What a claim found. `claimed`: this request owns the record; enqueue with
 * `jobIdFromRecord(recordId)`, then `complete` or `release` with `token`; `fresh` when the claim
 * started a new record id (no earlier attempt can have enqueued under it). `replay`: answer with
 * the stored response. `in_use`: another attempt holds the lease for `retryAfterMs` more ms
 * (409). `mismatch`: the key was used with another body (422).
 */
export type ClaimOutcome =
  | { kind: "claimed"; token: string; recordId: string; fresh: boolean }
  | { kind: "replay"; status: number; body: string }
  | { kind: "in_use"; retryAfterMs: number }
  | { kind: "mismatch" };

/** The store's operations; each is exactly one Redis round trip. */
export interface IdempotencyStore {
  /** Claims the record, or reports a stored response, a live claim or a body mismatch. */
  claim(input: ClaimInput): Promise<ClaimOutcome>;
  /** Stores the response; false when the token lost the record (the lease ran out and another took over). */
  complete(input: CompleteInput): Promise<boolean>;
  /** Lets go of a failed attempt's claim so the key can be used again at once; no-op if the token lost it. */
  release(input: ReleaseInput): Promise<void>;
}

/** Creates the store on a client, registering the three Lua commands on it (once per client). */
export function createIdempotencyStore(options: IdempotencyStoreOptions): IdempotencyStore {
  const { ttlMs, leaseMs } = options;
  requirePositiveInteger("ttlMs", ttlMs);
  requirePositiveInteger("leaseMs", leaseMs);
  defineLuaCommands(options.redis, idempotencyScripts);
  // defineCommand adds the methods at run time; the cast names what it added.
  const redis = options.redis as unknown as IdempotencyCommands;

  const keyOf = idempotencyRecordKeys(options.keyPrefix);
  const recordKey = ({ scope, route, key }: IdempotencyRecordRef): string => {
    if (!isValidIdempotencyKey(key)) throw new RangeError("Idempotency-Key must be 1-255 printable ASCII characters");
    return keyOf(scope, route, key);
  };

  return {
    async claim(input) {
      const key = recordKey(input);
      // Both are made here, not in Lua: Lua has no good randomness, and the token must be known
      // to this caller alone. The record id is used only if the script starts a new record.
      const token = randomId();
      const freshRecordId = randomId();
      const reply = await redis.idempotencyClaim(key, input.fingerprint, freshRecordId, token, leaseMs, ttlMs);
      switch (reply[0]) {
        case "claimed":
          return { kind: "claimed", token, recordId: reply[1], fresh: reply[1] === freshRecordId };
        case "replay":
          return { kind: "replay", status: reply[1], body: reply[2] };
        case "in_use":
          return { kind: "in_use", retryAfterMs: reply[1] };
        case "mismatch":
          return { kind: "mismatch" };
        default:
          throw new Error(`idempotencyClaim returned an unknown reply: ${JSON.stringify(reply)}`);
      }
    },

    async complete(input) {
      if (!Number.isInteger(input.status)) throw new RangeError(`status must be an integer: ${input.status}`);
      const stored = await redis.idempotencyComplete(recordKey(input), input.token, input.status, input.body, ttlMs);
      return stored === 1;
    },

    async release(input) {
      await redis.idempotencyRelease(recordKey(input), input.token, input.forget === true ? "forget" : "keep");
    },
  };
}

/** Random bytes drawn ahead, 256 ids at a time: one `randomBytes` call per id was a visible cost under load. */
const idPool = Buffer.alloc(16 * 256);
let idPoolOffset = idPool.length;

/** 128 random bits (from the CSPRNG) as 32 hex characters (the record id format `jobIdFromRecord` expects). */
function randomId(): string {
  if (idPoolOffset >= idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const id = idPool.toString("hex", idPoolOffset, idPoolOffset + 16);
  idPoolOffset += 16;
  return id;
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer (ms): ${value}`);
}
