import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type TestStack } from "#test-support/stack.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(() => stack.close());

describe("health", () => {
  it("answers 200 ok with Redis up, and the same over tRPC", async () => {
    const res = await stack.request("GET", "/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", redis: "up", draining: false });
    const trpc = await fetch(`${stack.url}/trpc/health.get`);
    expect(((await trpc.json()) as { result: { data: { json: { status: string } } } }).result.data.json.status).toBe("ok");
  });

  it("answers 503 with the reason and Connection: close once the process is draining", async () => {
    stack.api.deps.lifecycle.draining = true;
    try {
      const res = await stack.request("GET", "/health");
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: "unavailable", draining: true, reason: "shutting down" });
      expect(res.headers.get("connection")).toBe("close");
      expect((await stack.request("GET", "/health/live")).status).toBe(200);
    } finally {
      stack.api.deps.lifecycle.draining = false;
    }
  });
});
