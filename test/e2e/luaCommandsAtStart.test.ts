/**
 * Every Lua command the API calls is defined on its Redis connection before it serves a
 * request. On an auto-pipelined connection (the API's, on a single Redis) a command defined
 * after the current tick's pipeline was made is missing from that pipeline, and ioredis then
 * throws from its pipeline callback: an uncaught exception (redis/ioredis#1931). So after
 * start, serving the procedures that call the on-use scripts (the queue overview, a
 * reschedule, a create with a key and a rate limit) must define nothing more.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";

let stack: TestStack;
const definedAfterStart: string[] = [];
beforeAll(async () => {
  stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON } });
  const redis = stack.api.deps.redis as unknown as { defineCommand(name: string, definition: object): void };
  const define = redis.defineCommand.bind(redis);
  redis.defineCommand = (name, definition) => {
    definedAfterStart.push(name);
    define(name, definition);
  };
});
afterAll(() => stack?.close());

describe("Lua commands at start", () => {
  it("are all defined before the first request", async () => {
    expect((await stack.request("GET", "/monitoring/queues", { key: ADMIN.key })).status).toBe(200);
    const scheduled = await stack.request("POST", "/jobs/email/schedule", { key: USER_A.key, headers: { "idempotency-key": "lua-at-start" }, body: { to: "ann@example.com", subject: "later", text: "x", delayMs: 3_600_000 } });
    expect(scheduled.status).toBe(202);
    const { jobId } = (await scheduled.json()) as { jobId: string };
    expect((await stack.request("POST", `/jobs/email/${jobId}/reschedule`, { key: USER_A.key, body: { delayMs: 7_200_000 } })).status).toBe(200);
    expect((await stack.request("GET", `/jobs/status/email/${jobId}`, { key: USER_A.key })).status).toBe(200);
    expect(definedAfterStart).toEqual([]);
  });

  it("keep BullMQ's commands off the auto-pipelined connection: the queues have one of their own that does not auto-pipeline", async () => {
    // BullMQ defines its commands when it first sees its connection ready, which for an API
    // started before Redis is while requests arrive: on an auto-pipelined connection that is
    // the same ioredis failure, so its commands live on a connection that never auto-pipelines.
    type Scripted = { scriptsSet: Record<string, unknown>; options: { enableAutoPipelining?: boolean } };
    const own = stack.api.deps.redis as unknown as Scripted;
    const queues = stack.api.deps.queueRedis as unknown as Scripted;
    expect((await stack.request("POST", "/jobs/email", { key: USER_A.key, body: { to: "ann@example.com", subject: "s", text: "x" } })).status).toBe(202);
    const bullmqCommands = Object.keys(queues.scriptsSet);
    expect(bullmqCommands.some((name) => name.startsWith("addStandardJob"))).toBe(true);
    expect(Object.keys(own.scriptsSet).filter((name) => bullmqCommands.includes(name))).toEqual([]);
    expect(queues.options.enableAutoPipelining).not.toBe(true);
    expect(stack.api.deps.queues.email.opts.connection).toBe(stack.api.deps.queueRedis);
  });
});
