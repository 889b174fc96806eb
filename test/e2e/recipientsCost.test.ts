/**
 * `cost: "recipients"` over HTTP: a mail rule charges once per recipient (to + cc + bcc), in the
 * same exact check, over REST and tRPC alike; a denied mail is charged nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  const rules = [{ name: "recipients-per-user", key: "user", limit: 5, windowMs: 60_000, routes: ["POST /jobs/email"], cost: "recipients" }];
  stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify(rules) } });
});
afterAll(() => stack.close());

const mail = (to: string[], cc: string[] = [], bcc: string[] = []) => ({ to, ...(cc.length ? { cc } : {}), ...(bcc.length ? { bcc } : {}), subject: "Many", text: "Hello" });
const addresses = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}@example.com`);

describe('cost: "recipients"', () => {
  it("charges each recipient, denies a mail that no longer fits without charging it, and admits one that does", async () => {
    const first = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail(addresses(1, "a"), addresses(1, "b"), addresses(1, "c")) });
    expect(first.status).toBe(202);
    expect(first.headers.get("ratelimit")).toMatch(/"recipients-per-user";r=2;/);

    const tooMany = await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail(addresses(3, "d")) });
    expect(tooMany.status).toBe(429);
    expect(((await tooMany.json()) as { rule: string }).rule).toBe("recipients-per-user");

    // The denied 3 were not recorded: 2 still fit, over tRPC as over REST.
    const fits = await fetch(`${stack.url}/trpc/jobs.email.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` },
      body: JSON.stringify({ json: mail(addresses(2, "e")) }),
    });
    expect(fits.status).toBe(200);
    expect((await stack.request("POST", "/jobs/email", { key: USER_A.key, body: mail(addresses(1, "f")) })).status).toBe(429);
  });
});
