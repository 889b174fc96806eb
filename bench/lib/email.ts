/**
 * The email every benchmark sends: small, valid under `emailJobInput`, the same for every
 * contender so they do identical work.
 */
import { emailJobInput, parseConfig, type Config, type EmailJobData, type EmailJobInput } from "@taskgate/shared";
import { REDIS_URL } from "./redis.js";

export const benchEmail: EmailJobInput = emailJobInput.parse({
  to: "someone@example.com",
  subject: "Benchmark",
  text: "Hello from the Taskgate benchmark.",
});

/** Job data as the API would enqueue it. */
export function benchJobData(i: number): EmailJobData {
  return { email: benchEmail, requestId: `bench-request-${i}`, ownerId: null };
}

/** A Taskgate config for the benchmark: its prefix, a free port, no logs, plus any overrides. */
export function benchConfig(keyPrefix: string, env: Record<string, string> = {}): Config {
  return parseConfig({ REDIS_URL, KEY_PREFIX: keyPrefix, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", NODE_ENV: "development", ...env });
}
