/**
 * The lean JSON body reader (http/readBody.ts) answers every request as `express.json` does:
 * the same app serves one route through `jsonBody` (lean reader, express.json fallback) and
 * one through express.json alone, and each request — the common shape, and every shape the
 * reader must leave to body-parser — must give the same parsed body or the same error.
 */
import express, { type Express } from "express";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, leanBodyLength } from "../../src/http/readBody.js";

const LIMIT = 1000;
let origin: string;
let server: ReturnType<Express["listen"]>;
/** Which parser read each request: "lean" when jsonBody read it itself. */
let readBy: string[] = [];
/** The error types the app's error handler saw, by path. */
const errorsSeen: string[] = [];

beforeAll(async () => {
  const app = express();
  const parser = () => express.json({ limit: LIMIT, type: ["application/json", "application/*+json"] });
  const fallback = parser();
  const lean = jsonBody(LIMIT, (req, res, next) => {
    readBy.push("fallback");
    fallback(req, res, next);
  });
  const answer = (req: express.Request, res: express.Response) => void res.json({ body: req.body === undefined ? "(none)" : req.body });
  app.post("/lean", lean, answer);
  app.post("/plain", parser(), answer);
  app.use((error: { status?: number; type?: string }, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    errorsSeen.push(`${req.path} ${error.type ?? "unknown"}`);
    res.status(error.status ?? 500).json({ error: error.type ?? "unknown" });
  });
  await new Promise<void>((resolve) => {
    server = app.listen(0, "127.0.0.1", () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

interface Sent {
  headers: Record<string, string>;
  /** Without a content-length header the body goes chunked. */
  body: Buffer;
  chunked?: boolean;
  /** Sent in two writes split at this byte (with its content-length), so it arrives in two chunks. */
  splitAt?: number;
}

function send(path: string, sent: Sent): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const headers = { ...sent.headers, ...(sent.chunked ? {} : { "content-length": String(sent.body.length) }) };
    const req = httpRequest(`${origin}${path}`, { method: "POST", headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    if (sent.chunked) {
      // Two writes, so the body really goes in chunks.
      req.write(sent.body.subarray(0, 1));
      req.end(sent.body.subarray(1));
    } else if (sent.splitAt !== undefined) {
      req.write(sent.body.subarray(0, sent.splitAt));
      setTimeout(() => req.end(sent.body.subarray(sent.splitAt)), 20);
    } else req.end(sent.body);
  });
}

const json = { "content-type": "application/json" };
const CASES: Array<[string, Sent, "lean" | "fallback"]> = [
  ["an object", { headers: json, body: Buffer.from('{"to":"a@example.com","n":[1,2,{"x":null}]}') }, "lean"],
  ["an array", { headers: json, body: Buffer.from("[1,2,3]") }, "lean"],
  ["leading whitespace", { headers: json, body: Buffer.from(' \n\t{"a":1}') }, "lean"],
  ["a byte-order mark", { headers: json, body: Buffer.from('\ufeff{"a":"é"}', "utf8") }, "lean"],
  ["a byte-order mark alone", { headers: json, body: Buffer.from([0xef, 0xbb, 0xbf]) }, "lean"],
  // "é" is c3 a9: the split falls between its two bytes.
  ["two chunks splitting a character", { headers: json, body: Buffer.from('{"a":"é"}', "utf8"), splitAt: 7 }, "lean"],
  ["charset=utf-8", { headers: { "content-type": "application/json; charset=UTF-8" }, body: Buffer.from('{"a":"ü"}') }, "lean"],
  ["a bare string", { headers: json, body: Buffer.from('"text"') }, "lean"],
  ["a bare number", { headers: json, body: Buffer.from("42") }, "lean"],
  ["whitespace only", { headers: json, body: Buffer.from("   ") }, "lean"],
  ["broken JSON", { headers: json, body: Buffer.from('{"a":') }, "lean"],
  ["invalid UTF-8", { headers: json, body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, "lean"],
  ["exactly the limit", { headers: json, body: Buffer.from(`{"a":"${"x".repeat(LIMIT - 8)}"}`) }, "lean"],
  ["over the limit", { headers: json, body: Buffer.from(`{"a":"${"x".repeat(LIMIT)}"}`) }, "fallback"],
  ["an empty body", { headers: json, body: Buffer.alloc(0) }, "fallback"],
  ["a chunked body", { headers: json, body: Buffer.from('{"a":1}'), chunked: true }, "fallback"],
  ["a gzip body", { headers: { ...json, "content-encoding": "gzip" }, body: gzipSync('{"a":1}') }, "fallback"],
  ["a stray quote after the charset", { headers: { "content-type": 'application/json; charset=utf-8"' }, body: Buffer.from('{"a":1}') }, "fallback"],
  ["charset=latin1", { headers: { "content-type": "application/json; charset=latin1" }, body: Buffer.from('{"a":"\xe9"}', "latin1") }, "fallback"],
  ["a +json type", { headers: { "content-type": "application/merge-patch+json" }, body: Buffer.from('{"a":1}') }, "fallback"],
  ["a text body", { headers: { "content-type": "text/plain" }, body: Buffer.from('{"a":1}') }, "fallback"],
];

describe("lean JSON body reader", () => {
  for (const [name, sent, expectedReader] of CASES) {
    it(`reads ${name} as express.json does (${expectedReader})`, async () => {
      readBy = [];
      const [ours, theirs] = [await send("/lean", sent), await send("/plain", sent)];
      expect(ours).toEqual(theirs);
      expect(readBy).toEqual(expectedReader === "fallback" ? ["fallback"] : []);
    });
  }

  it("parses what it reads", async () => {
    expect(await send("/lean", CASES[0]![1])).toEqual({ status: 200, body: { body: { to: "a@example.com", n: [1, 2, { x: null }] } } });
    expect(await send("/lean", CASES[3]![1])).toEqual({ status: 200, body: { body: { a: "é" } } });
    expect(await send("/lean", CASES.find(([name]) => name === "broken JSON")![1])).toEqual({ status: 400, body: { error: "entity.parse.failed" } });
    expect(await send("/lean", CASES.find(([name]) => name === "two chunks splitting a character")![1])).toEqual({ status: 200, body: { body: { a: "é" } } });
    expect(await send("/lean", CASES.find(([name]) => name === "a byte-order mark alone")![1])).toEqual({ status: 200, body: { body: {} } });
  });

  it("gives body-parser's error for a client that goes away mid-body, and serves the next request", async () => {
    for (const path of ["/lean", "/plain"]) {
      const req = httpRequest(`${origin}${path}`, { method: "POST", headers: { ...json, "content-length": "100" } });
      req.on("error", () => undefined);
      req.write('{"a":');
      await new Promise((resolve) => setTimeout(resolve, 50));
      req.destroy();
    }
    await expect.poll(() => errorsSeen.filter((seen) => seen.endsWith("request.aborted")).sort(), { timeout: 5000 }).toEqual(["/lean request.aborted", "/plain request.aborted"]);
    // Once each: the close that follows the error reports nothing more.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(errorsSeen.filter((seen) => seen.endsWith("request.aborted"))).toHaveLength(2);
    expect(await send("/lean", CASES[0]![1])).toMatchObject({ status: 200 });
  });

  it("takes only a declared, bounded, plain JSON body", () => {
    const req = (headers: Record<string, string>) => ({ headers }) as unknown as express.Request;
    expect(leanBodyLength(req({ "content-type": "application/json", "content-length": "10" }), 10)).toBe(10);
    expect(leanBodyLength(req({ "content-type": "application/json", "content-length": "11" }), 10)).toBeUndefined();
    expect(leanBodyLength(req({ "content-type": "application/json", "content-length": "1.5" }), 10)).toBeUndefined();
    expect(leanBodyLength(req({ "content-type": "application/json", "content-length": "0" }), 10)).toBeUndefined();
    expect(leanBodyLength(req({ "content-type": "application/json" }), 10)).toBeUndefined();
    expect(leanBodyLength(req({ "content-type": "application/json", "content-length": "5", "transfer-encoding": "chunked" }), 10)).toBeUndefined();
    expect(leanBodyLength(req({ "content-type": "application/jsonx", "content-length": "5" }), 10)).toBeUndefined();
  });
});
