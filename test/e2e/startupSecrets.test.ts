/**
 * A failed start never prints a secret: not the API keys, not a password in a URL, and no
 * uncaught driver error echoing its input.
 */
import { describe, expect, it } from "vitest";
import { spawnEntry } from "#test-support/processes.js";

const ADMIN_KEY = "admin-secret-key-0123456789";
const PASSWORD = "hunter2-redis-password";

const cases: Array<{ name: string; entry: string; env: Record<string, string>; names: string; secret: string }> = [
  { name: "malformed API_KEYS JSON", entry: "server/src/main.ts", env: { API_KEYS: `[{"key":"${ADMIN_KEY}","userId":"ops","admin":tru` }, names: "API_KEYS", secret: ADMIN_KEY },
  { name: "an API_KEYS entry with an unknown field", entry: "server/src/main.ts", env: { API_KEYS: JSON.stringify([{ key: ADMIN_KEY, userId: "ops", admin: true, role: "x" }]) }, names: "API_KEYS", secret: ADMIN_KEY },
  { name: "a REDIS_URL with a password and a bad port (API)", entry: "server/src/main.ts", env: { REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:abc` }, names: "REDIS_URL", secret: PASSWORD },
  { name: "a REDIS_URL with a password and a bad port (worker)", entry: "worker/src/main.ts", env: { REDIS_URL: `redis://user:${PASSWORD}@127.0.0.1:abc` }, names: "REDIS_URL", secret: PASSWORD },
];

describe("start-up errors", () => {
  for (const { name, entry, env, names, secret } of cases) {
    it(`exits 1 naming ${names} without its secret: ${name}`, async () => {
      const proc = spawnEntry(entry, { PORT: "0", ...env });
      expect(await proc.exited).toBe(1);
      const output = proc.output();
      expect(output).toMatch(new RegExp(`^Invalid ${names}\\b`, "m"));
      expect(output).not.toContain(secret);
      expect(output).not.toMatch(/TypeError| {4}at /);
    });
  }
});
