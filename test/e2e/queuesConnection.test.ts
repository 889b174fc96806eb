/**
 * On a single Redis the API's queues have a connection of their own (docs/OPERATIONS.md, "Two
 * connections per API process"). While it is down and the limiter's is up, a request is refused
 * (503) before the rate limit, so the refusal is not charged. Single Redis only: on a Cluster
 * the queues share the limiter's client.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseList } from "#test-support/structuredFields.js";
import { API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { pollUntil } from "#test-support/time.js";

let stacks: TestStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  stacks = [];
});

async function stackWith(rules: unknown[]) {
  const stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify(rules) } });
  stacks.push(stack);
  return stack;
}

const mail = { to: "a@example.com", subject: "s", text: "t" };

describe("the queues' connection down while the limiter's is up", () => {
  it("does not charge a request refused because the queues' connection is not ready (503 before the limiter)", async () => {
    const stack = await stackWith([{ name: "all", key: "global", limit: 100, windowMs: 60_000 }]);
    const first = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail });
    expect(first.status).toBe(202);
    const { redis, queueRedis, config } = stack.api.deps;
    const counted = async () => {
      const keys = await redis.keys(`${config.keyPrefix}:rl:*`);
      return (await Promise.all(keys.map((key) => redis.zcard(key)))).reduce((sum, n) => sum + n, 0);
    };
    expect(await counted()).toBe(1);
    expect(queueRedis).not.toBe(redis);
    queueRedis.disconnect();
    await pollUntil(async () => queueRedis.status, (status) => status === "end", 5_000);
    try {
      const refused = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail });
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(await counted()).toBe(1);
    } finally {
      await queueRedis.connect();
    }
    const after = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail });
    expect(after.status).toBe(202);
    expect(parseList(after.headers.get("ratelimit")!)[0]!.params.r).toBe(98);
  });
});
