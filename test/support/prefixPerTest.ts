/**
 * A fresh random key prefix for every test of a file, with its keys deleted after each test:
 * `const prefix = prefixPerTest(redis);` then `prefix()` inside tests.
 */
import { afterEach, beforeEach } from "vitest";
import { deletePrefix, randomPrefix, type TestRedis } from "./redis.js";

export function prefixPerTest(redis: TestRedis): () => string {
  let current = "";
  beforeEach(() => {
    current = randomPrefix();
  });
  afterEach(() => deletePrefix(redis, current));
  return () => current;
}
