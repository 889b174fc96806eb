/**
 * HTTP on a raw socket, for what `fetch` cannot send: bytes that are not HTTP, oversized headers,
 * a request trickled in slowly.
 */
import { connect } from "node:net";

/** What came back: the status, the status line, the headers (lower-case names), the JSON body. */
export interface RawAnswer {
  status: number;
  statusLine: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

/** What a server sent on a raw socket until it closed: status, headers (lower-case names), body. */
export function parseRaw(received: string): RawAnswer {
  const [head = "", body = ""] = received.split("\r\n\r\n", 2);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
  return { status: Number(statusLine.split(" ")[1]), statusLine, headers, body: body ? (JSON.parse(body) as Record<string, unknown>) : undefined };
}

/**
 * Writes `request` on a fresh socket (then `trickle` every 200 ms, if given) and resolves with
 * everything that came back once the server closed it (several responses, if it sent several).
 */
export async function rawText(port: number, request: string, trickle?: string): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (chunk) => (received += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(request);
  const timer = trickle === undefined ? undefined : setInterval(() => socket.writable && socket.write(trickle), 200);
  // Bounded: the test fails (by its own timeout) rather than waiting Node's default 5 minutes.
  await closed;
  clearInterval(timer);
  return received;
}

/** `rawText`, parsed as one response. */
export async function rawExchange(port: number, request: string, trickle?: string): Promise<RawAnswer> {
  return parseRaw(await rawText(port, request, trickle));
}

/** Writes `request` on a fresh socket and resets the connection at once, as a client that gives up right after sending. */
export async function sendAndReset(port: number, request: string): Promise<void> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(request, () => socket.resetAndDestroy());
  await closed;
}
