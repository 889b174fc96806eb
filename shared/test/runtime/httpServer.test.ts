/**
 * createHttpServer on a real socket: what Node would answer by itself comes in the problem
 * format, one answer per request, and no socket outlives what it was for.
 */
import { once } from "node:events";
import { connect, type AddressInfo } from "node:net";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpServer } from "../../src/runtime/index.js";
import { rawText } from "#test-support/rawHttp.js";
import { pollUntil, sleep } from "#test-support/time.js";

const logger = pino({ level: "silent" });
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server whose handler answers `GET /slow` after 400 ms, anything else at once (404 for paths other than /ok). */
async function start(options: { requestTimeout?: number } = {}): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const answer = () => {
      res.writeHead(req.url === "/ok" || req.url === "/slow" ? 200 : 404, { "Content-Type": "text/plain" });
      res.end(`answer for ${req.url}`);
    };
    if (req.url === "/slow") setTimeout(answer, 400);
    else answer();
  };
  server = createHttpServer(handler, { logger, ...(options.requestTimeout ? { requestTimeout: options.requestTimeout, headersTimeout: options.requestTimeout, connectionsCheckingInterval: 200 } : {}) });
  server.on("request", (req: IncomingMessage) => seen.push(`${req.method} ${req.url}`));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, seen };
}

const connectionCount = () => new Promise<number>((resolve, reject) => server!.getConnections((error, count) => (error ? reject(error) : resolve(count))));
const statusLines = (text: string) => text.match(/HTTP\/1\.1 \d{3} /g) ?? [];

describe("createHttpServer", () => {
  it("answers CONNECT with a 405 problem and lets go of the socket even when the client keeps its side open", async () => {
    const { port } = await start();
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    socket.on("error", () => undefined);
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString()));
    await once(socket, "connect");
    socket.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    await pollUntil(async () => connectionCount(), (count) => count === 0, 3_000);
    expect(received).toMatch(/^HTTP\/1\.1 405 /);
    expect(received).toContain('"code":"METHOD_NOT_ALLOWED"');
    socket.destroy();
  });

  it("serves a request with an unknown Expect as any other: every request listener sees it, and it gets one answer", async () => {
    const { port, seen } = await start({ requestTimeout: 600 });
    const text = await rawText(port, "POST /missing HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nContent-Length: 50\r\n\r\n{");
    expect(seen).toEqual(["POST /missing"]);
    // Answered at once, then the body never came: the timeout only closes the connection.
    expect(statusLines(text)).toEqual(["HTTP/1.1 404 "]);
  });

  it("handles a broken connection once however many chunks follow, and the request in flight keeps its answer", async () => {
    const { port } = await start();
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString()));
    const closed = once(socket, "close");
    await once(socket, "connect");
    socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n\u0000GARBAGE\r\n\r\n");
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      for (let i = 0; i < 30; i++) {
        socket.write("more\r\n");
        await sleep(5);
      }
      await closed;
    } finally {
      process.off("warning", onWarning);
    }
    expect(statusLines(received)).toEqual(["HTTP/1.1 200 "]);
    expect(received).toContain("answer for /slow");
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });

  it("answers an HTTP/1.1 request without Host with a 400 problem and serves HTTP/1.0 without one", async () => {
    const { port } = await start();
    const missing = await rawText(port, "GET /ok HTTP/1.1\r\n\r\n");
    expect(statusLines(missing)).toEqual(["HTTP/1.1 400 "]);
    expect(missing).toContain('"code":"VALIDATION_FAILED"');
    const old = await rawText(port, "GET /ok HTTP/1.0\r\n\r\n");
    expect(old).toMatch(/^HTTP\/1\.1 200 /);
  });
});
