/**
 * The load generator's own process (forked by `load.ts`): runs autocannon on request over IPC,
 * so the load never shares an event loop with the server under test. Exits with its parent.
 */
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import type { LoadRequest, LoadReply } from "./load.js";

if (!process.send) throw new Error("loadProcess.ts is started by bench/lib/load.ts, not directly");

// A parent that dies or disconnects takes the load generator with it.
process.on("disconnect", () => process.exit(0));

process.on("message", (message: LoadRequest) => {
  const { id, options } = message;
  const headers = { ...(options.body === undefined ? {} : { "content-type": "application/json" }), ...options.headers };
  const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const { uniqueHeader } = options;
  autocannon({
    url: options.url,
    method: options.method ?? "GET",
    headers,
    ...(body === undefined ? {} : { body }),
    // Per request, so every call is a new one (an idempotency key repeated would be a replay).
    ...(uniqueHeader === undefined
      ? {}
      : { requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, headers: { ...request.headers, [uniqueHeader]: randomUUID() } }) }] }),
    connections: options.connections,
    duration: options.durationS,
    timeout: options.timeoutS ?? 10,
  }).then(
    (result) => {
      const reply: LoadReply = {
        id,
        result: {
          rps: result.requests.average,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          total: result.requests.total,
          ok2xx: result["2xx"],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
        },
      };
      process.send!(reply);
    },
    (error: unknown) => process.send!({ id, error: error instanceof Error ? error.message : String(error) } satisfies LoadReply),
  );
});
