/**
 * Property-based probing of both transports (REST and tRPC): random paths, methods, content
 * types, batch shapes and superjson bodies never produce a 5xx, a hang or an unhandled rejection.
 */
import fc from "fast-check";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";

let stack: TestStack;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  stack = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify([{ name: "roomy", key: "user", limit: 100_000, windowMs: 60_000 }]) } });
});
afterAll(async () => {
  await stack.close();
  process.off("unhandledRejection", onUnhandled);
  expect(unhandled).toEqual([]);
});

const PROCEDURES = ["health.get", "jobs.email.create", "jobs.email.schedule", "jobs.status", "deadJobs.list", "deadJobs.get", "deadJobs.retry", "deadJobs.retryAll", "deadJobs.delete", "monitoring.blocked", "monitoring.queues", "monitoring.requestMetrics", "monitoring.blockedMetrics"];
const REST_PATHS = ["/health", "/jobs/email", "/jobs/email/schedule", "/jobs/status/email/x", "/jobs/status/__proto__/x", "/dead-jobs/email", "/dead-jobs/email/retry", "/dead-jobs/email/x", "/monitoring/queues", "/metrics/requests", "/metrics", "/openapi.json"];

const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD");
const contentType = fc.constantFrom(undefined, "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json", "application/xml", "");
const key = fc.constantFrom(undefined, USER_A.key, ADMIN.key, "not-a-key");
const segment = fc.oneof(fc.constantFrom("__proto__", "constructor", "prototype", "toString", "..", "%00", "%E0%A4%A", "email", "x"), fc.string({ maxLength: 20 }).map(encodeURIComponent));
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ to: fc.oneof(fc.emailAddress(), fc.string()), subject: fc.string(), text: fc.string(), sendAt: fc.oneof(fc.date({ noInvalidDate: true }), fc.string()), delayMs: fc.integer(), queue: fc.constantFrom("email", "__proto__", "x"), jobId: fc.string() }, { requiredKeys: [] }),
);
/** superjson's envelope of a value; superjson refuses some keys (`prototype`), then a hand-made one, which the server must refuse too. */
function envelope(input: unknown): unknown {
  try {
    return superjson.serialize(input);
  } catch {
    return { json: input };
  }
}

/** A tRPC body: superjson of a value, a batch map of them, or something that is neither. */
const trpcBody = fc.oneof(
  value.map((input) => JSON.stringify(envelope(input))),
  fc.array(value, { maxLength: 12 }).map((inputs) => JSON.stringify(Object.fromEntries(inputs.map((input, i) => [i, envelope(input)])))),
  fc.string({ maxLength: 200 }),
  fc.constant(""),
);

async function send(path: string, init: { method: string; type: string | undefined; key: string | undefined; body: string }) {
  const hasBody = !["GET", "HEAD"].includes(init.method) && init.body !== "";
  const res = await fetch(stack.url + path, {
    method: init.method,
    headers: { ...(init.type !== undefined ? { "content-type": init.type } : {}), ...(init.key ? { authorization: `Bearer ${init.key}` } : {}) },
    ...(hasBody ? { body: init.body } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  // A client's mistake is never a 5xx; a body never carries a stack trace.
  expect(res.status, `${init.method} ${path} -> ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
  expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
}

describe("fuzzing the transports", () => {
  it("tRPC: random procedures, batch shapes, methods, content types and superjson bodies never answer 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom(...PROCEDURES), segment), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        method,
        contentType,
        key,
        trpcBody,
        fc.option(value.map((input) => encodeURIComponent(JSON.stringify(envelope(input))))),
        async (paths, batch, verb, type, apiKey, body, queryInput) => {
          const query = [batch ? "batch=1" : "", queryInput ? `input=${queryInput}` : ""].filter(Boolean).join("&");
          await send(`/trpc/${paths.join(",")}${query ? `?${query}` : ""}`, { method: verb, type, key: apiKey, body });
        },
      ),
      { numRuns: 250 },
    );
  });

  it("REST: random paths, methods, content types and bodies never answer 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...REST_PATHS), fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`)),
        method,
        contentType,
        key,
        fc.oneof(value.map((input) => JSON.stringify(input)), fc.string({ maxLength: 200 })),
        async (path, verb, type, apiKey, body) => {
          await send(path, { method: verb, type, key: apiKey, body });
        },
      ),
      { numRuns: 250 },
    );
  });
});
