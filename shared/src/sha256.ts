/**
 * SHA-256 of a string (UTF-8) in one call. `crypto.hash` (Node ≥ 20.12, the engines floor)
 * hashes without building a `Hash` object; on the API's request path, where a request with a
 * key and an Idempotency-Key hashes four to five short strings, the `createHash` objects were
 * a visible cost in a profile under load (BENCHMARKS.md, profile findings).
 */
import { hash } from "node:crypto";

/** SHA-256 of `text` (UTF-8) as 64 lowercase hex characters. */
export function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}

/** SHA-256 of `text` (UTF-8) as 32 bytes. */
export function sha256Bytes(text: string): Buffer {
  return hash("sha256", text, "buffer");
}
