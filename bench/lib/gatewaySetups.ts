/**
 * What the gateway benchmark (and `bench/profile.ts`) sends and to what: the rule sets, the bare
 * Express baseline, and the requests, including the exact bytes the SDK's own link sends.
 * Those are captured from a real `createClient` (httpLink + superjson) and a real
 * `httpBatchLink`, by pointing them at a capturing server once, so the load is what TypeScript
 * services send and not a hand-made imitation of it.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Queue } from "bullmq";
import superjson from "superjson";
import { createTRPCUntypedClient, httpBatchLink } from "@trpc/client";
import { bullPrefix, emailJobInput, type EmailJobData } from "@taskgate/shared";
import { createClient, type TaskgateClient } from "@taskgate/client";
import { defaultJobOptions, type AppRouter } from "@taskgate/server";
import { benchConfig, benchEmail } from "./email.js";
import type { LoadOptions } from "./load.js";
import { connect } from "./redis.js";

const rule = (name: string, key: string, extra: object = {}) => ({ name, key, limit: 100_000_000, windowMs: 60_000, ...extra });
/** Rule sets that all match `POST /jobs/email` in open mode and are never exhausted during a run. */
export const GATEWAY_RULE_SETS = {
  one: [rule("bench", "global")],
  three: [rule("bench-ip", "ip"), rule("bench-global", "global"), rule("bench-route", "ip", { routes: ["POST /jobs/email"] })],
  none: [],
} as const;

/** Calls in the batched tRPC row. */
export const BATCH_SIZE = 10;

/**
 * `rest`: POST /jobs/email, no key; `restIdempotent`: the same with a fresh Idempotency-Key per
 * request; `trpc`: jobs.email.create exactly as the SDK's `createClient` sends it (a fresh key
 * per call); `trpcPlain`: the same over a bare `httpLink`, no key; `trpcBatch`: `BATCH_SIZE`
 * creates in one `httpBatchLink` request, no keys (one header cannot carry one key per call).
 */
export type GatewayShape = "rest" | "restIdempotent" | "trpc" | "trpcPlain" | "trpcBatch";

/** One captured request: path with query, headers and body, as a client sent it. */
interface Captured {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Runs `send` against a server that records the requests and answers each as tRPC would (`reply`). */
async function capture(send: (url: string) => Promise<unknown>, reply: (path: string) => unknown): Promise<Captured> {
  const seen: Captured[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string" && !["host", "content-length", "connection"].includes(name)) headers[name] = value;
      seen.push({ path: req.url ?? "/", headers, body });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(reply(req.url ?? "/")));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    await send(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.close();
  }
  if (seen.length !== 1) throw new Error(`expected the client to send one request, it sent ${seen.length}`);
  return seen[0]!;
}

const accepted = { jobId: "captured", queue: "email", state: "waiting", statusUrl: "/jobs/status/email/captured" };

/** What `createClient().jobs.email.create(benchEmail)` sends. */
async function captureSdkCreate(): Promise<Captured> {
  return capture(
    (url) => createClient({ baseUrl: url, retry: { attempts: 1 } }).jobs.email.create(benchEmail as Parameters<TaskgateClient["jobs"]["email"]["create"]>[0]),
    () => ({ result: { data: superjson.serialize(accepted) } }),
  );
}

/** What one `httpBatchLink` request of `BATCH_SIZE` creates sends. */
async function captureBatchCreate(): Promise<Captured> {
  return capture(
    (url) => {
      const client = createTRPCUntypedClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/trpc`, transformer: superjson, maxItems: BATCH_SIZE })] });
      return Promise.all(Array.from({ length: BATCH_SIZE }, () => client.mutation("jobs.email.create", benchEmail)));
    },
    () => Array.from({ length: BATCH_SIZE }, () => ({ result: { data: superjson.serialize(accepted) } })),
  );
}

/** The load request of one shape against an origin (`http://127.0.0.1:<port>`). */
export async function gatewayRequest(shape: GatewayShape, origin: string): Promise<LoadOptions & { expected: number }> {
  const common = { method: "POST" as const, connections: 50, durationS: 1 };
  switch (shape) {
    case "rest":
      return { ...common, url: `${origin}/jobs/email`, body: benchEmail, expected: 202 };
    case "restIdempotent":
      return { ...common, url: `${origin}/jobs/email`, body: benchEmail, uniqueHeader: "idempotency-key", expected: 202 };
    case "trpcPlain":
      return { ...common, url: `${origin}/trpc/jobs.email.create`, body: superjson.serialize(benchEmail), expected: 200 };
    case "trpc": {
      const sent = await captureSdkCreate();
      if (!sent.headers["idempotency-key"]) throw new Error("the SDK's create no longer sends an Idempotency-Key; the row must say so");
      return { ...common, url: `${origin}${sent.path}`, headers: sent.headers, body: sent.body, uniqueHeader: "idempotency-key", expected: 200 };
    }
    case "trpcBatch": {
      const sent = await captureBatchCreate();
      return { ...common, url: `${origin}${sent.path}`, headers: sent.headers, body: sent.body, expected: 200 };
    }
  }
}

/** The baseline: what any Express 5 service accepting this job would at least do. */
export interface Baseline {
  url: string;
  queue: Queue;
  close(): Promise<void>;
}

export async function startBaseline(keyPrefix: string): Promise<Baseline> {
  const config = benchConfig(keyPrefix);
  const connection = connect("gateway-baseline");
  const queue = new Queue("email", { connection, prefix: bullPrefix(keyPrefix), defaultJobOptions: defaultJobOptions(config) });
  await queue.waitUntilReady();
  const app = express();
  app.disable("x-powered-by");
  app.post("/jobs/email", express.json({ limit: 100_000 }), async (req, res) => {
    const parsed = emailJobInput.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ issues: parsed.error.issues });
      return;
    }
    const jobId = randomUUID();
    const data: EmailJobData = { email: parsed.data, requestId: randomUUID(), ownerId: null };
    try {
      await queue.add("send", data, { jobId });
      const statusUrl = `/jobs/status/email/${jobId}`;
      res.status(202).location(statusUrl).json({ jobId, queue: "email", state: "waiting", statusUrl });
    } catch {
      res.status(503).json({ error: "queue unavailable" });
    }
  });
  const server: Server = createServer(app);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queue,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.close();
      await connection.quit();
    },
  };
}
