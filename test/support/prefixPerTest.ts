/**
 * A fresh random key prefix for every test of a file, with its keys deleted after each test:
 * `const prefix = prefixPerTest(redis);` then `prefix()` inside tests.
 */
import { afterEach, beforeEach } from "vitest";
import { deletePrefix, dropPrefixes, randomPrefix, type TestRedis } from "./redis.js";

/**
 * Call it at collection time (in a describe body or at the top of the file). The keys are deleted
 * over `redis`, or, without it, over a connection of their own (for files that open a new
 * connection per test).
 */
export function prefixPerTest(redis?: TestRedis): () => string {
  let current = "";
  beforeEach(() => {
    current = randomPrefix();
  });
  afterEach(() => (redis ? deletePrefix(redis, current) : dropPrefixes(current)));
  return () => current;
}
