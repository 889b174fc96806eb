/**
 * Unique ids for the sliding window's sorted-set members: a random per-process tag plus a counter,
 * shorter than a UUID (members are stored once per admitted cost unit) and cheaper to make.
 */
import { randomBytes } from "node:crypto";

// 72 random bits: two API processes (or worker threads, which load their own copy) picking the
// same tag is negligible, and within a process the counter never repeats.
const processTag = randomBytes(9).toString("base64url");
let counter = 0;

/** A member id no other request of any process uses, e.g. `q3X0_aZ1bC9k1z`. */
export function nextMemberId(): string {
  counter += 1;
  return processTag + counter.toString(36);
}
