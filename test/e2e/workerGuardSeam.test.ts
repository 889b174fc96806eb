/**
 * `startWorker`'s `createGuard` option, the seam `bench/worker.ts` uses to measure what the
 * execution guard costs: the worker must run every job through the guard the factory returns,
 * built on the worker's own Redis connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EffectGuard } from "@taskgate/worker";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { startStack, type TestStack } from "#test-support/stack.js";
import { pollUntil } from "#test-support/time.js";

const STORED = { messageId: "<stored-by-an-earlier-run@taskgate.test>", response: "250 queued earlier", accepted: ["ann@example.com"], rejected: [] };

let smtp: TestSmtpServer;
let stack: TestStack;
const claimed: string[] = [];
let connectionAnswers: string | undefined;

beforeAll(async () => {
  smtp = await startTestSmtp();
  stack = await startStack({
    env: { SMTP_URL: smtp.url },
    workerOptions: {
      createGuard: (connection) => {
        // The factory gets the worker's live connection: a stand-in can talk to Redis on it.
        void connection.ping().then((answer) => (connectionAnswers = answer));
        const guard: EffectGuard = {
          leaseMs: 30_000,
          ttlMs: 60_000,
          // Every effect reads as already done: a worker that consults this guard sends nothing.
          claim: async (_queue, jobId) => {
            claimed.push(jobId);
            return { kind: "done", result: STORED };
          },
          markDone: async () => true,
          release: async () => true,
          renew: async () => true,
        };
        return guard;
      },
    },
  });
});
afterAll(async () => {
  await stack.close();
  await smtp.close();
});

describe("startWorker's createGuard seam", () => {
  it("runs each job through the supplied guard, on the worker's Redis connection", async () => {
    const res = await stack.request("POST", "/jobs/email", { body: { to: "ann@example.com", subject: "Seam", text: "Never sent." } });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };

    const read = async () => (await (await stack.request("GET", `/jobs/status/email/${jobId}`)).json()) as { state: string; result?: Record<string, unknown> };
    const seen = await pollUntil(read, (status) => status.state === "completed");
    expect(seen.at(-1)!.result).toEqual({ ...STORED, deduplicated: true });
    expect(claimed).toEqual([jobId]);
    expect(smtp.dataAttempts).toBe(0);
    expect(connectionAnswers).toBe("PONG");
  });
});
