/**
 * The Idempotency-Key header's syntax and the Redis key of one record, built so that any user
 * id, route and client key give a bounded, unambiguous key name.
 */
import { redisKeys, sha256Hex } from "@taskgate/shared";

/** Longest accepted Idempotency-Key, in characters (Stripe's limit). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

// Printable ASCII (0x20-0x7E), but no space at either end: HTTP strips leading and trailing
// whitespace from header values, so " k" and "k" would be one key over REST and two over tRPC.
const KEY_SYNTAX = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * Whether a value is a well-formed Idempotency-Key: 1-255 printable ASCII characters
 * (0x20-0x7E), not starting or ending with a space.
 */
export function isValidIdempotencyKey(key: unknown): key is string {
  return typeof key === "string" && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH && KEY_SYNTAX.test(key);
}

/**
 * The Redis key of one record: `<prefix>:idem:<scope>:<route>:<sha256 hex of key>`.
 * The client's key is hashed so its length and characters don't reach the key name. The route
 * is percent-encoded down to `[A-Za-z0-9/_.*-]` (`POST /jobs/email` → `POST%20/jobs/email`),
 * so it holds no `:`; with a fixed-length last part that makes the name unambiguous even
 * when the scope contains `:` (as `ip:<addr>` and IPv6 addresses do).
 */
export function idempotencyRecordKey(keyPrefix: string, scope: string, route: string, key: string): string {
  return idempotencyRecordKeys(keyPrefix)(scope, route, key);
}

/**
 * `idempotencyRecordKey` for one prefix, built once: the key builders and each route's encoding
 * are kept (routes are the procedures' aliases, a fixed set; others are encoded per call, so an
 * unbounded set of routes cannot grow the cache), and only the key's hash is per call.
 */
export function idempotencyRecordKeys(keyPrefix: string): (scope: string, route: string, key: string) => string {
  const keys = redisKeys(keyPrefix);
  const encoded = new Map<string, string>();
  return (scope, route, key) => {
    let encodedRoute = encoded.get(route);
    if (encodedRoute === undefined) {
      encodedRoute = encodeRoute(route);
      if (encoded.size < MAX_CACHED_ROUTES) encoded.set(route, encodedRoute);
    }
    return keys.idempotency(scope, encodedRoute, sha256Hex(key));
  };
}

/** Routes whose encoding is kept; far above the number of procedures. */
const MAX_CACHED_ROUTES = 256;

function encodeRoute(route: string): string {
  let out = "";
  for (const char of route) {
    if (/^[A-Za-z0-9/_.*-]$/.test(char)) {
      out += char;
    } else {
      for (const byte of Buffer.from(char, "utf8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}
