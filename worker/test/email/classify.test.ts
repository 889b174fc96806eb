/**
 * `isDefinitelyNotSent` on the errors the real SMTP transport (nodemailer, pooled) rejects with,
 * against small SMTP servers on 127.0.0.1 that fail at chosen points. Only an answer that
 * refuses the message, or a connection that never opened, may release the guard's claim: a
 * connection lost after the body went out may have delivered it.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isDefinitelyNotSent } from "../../src/email/classify.js";
import type { OutgoingMail } from "../../src/email/message.js";
import { createSmtpTransport } from "../../src/email/transport.js";

const mail: OutgoingMail = { from: "sender@example.com", to: "someone@example.com", subject: "Hi", text: "Hello", messageId: "<classify-test@example.com>", headers: {} };

/** How the server answers: drop the connection once the body is in, or refuse the recipient. */
type Behaviour = "dropAfterBody" | "rejectRecipient" | "dropBeforeGreeting";

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A minimal SMTP server; resolves with its port and a counter of bodies it received in full. */
async function smtpServer(behaviour: Behaviour): Promise<{ port: number; bodies: () => number }> {
  let bodies = 0;
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined);
    if (behaviour === "dropBeforeGreeting") return void socket.destroy();
    socket.write("220 test ESMTP\r\n");
    let inData = false;
    let buffer = "";
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          buffer = buffer.slice(end + 5);
          inData = false;
          bodies++;
          // The message is in: a real server may have queued it for delivery before the line went.
          return void socket.destroy();
        }
        const newline = buffer.indexOf("\r\n");
        if (newline < 0) return;
        const command = buffer.slice(0, 4).toUpperCase();
        buffer = buffer.slice(newline + 2);
        if (command === "EHLO") socket.write("250-test\r\n250 8BITMIME\r\n");
        else if (command === "RCPT" && behaviour === "rejectRecipient") socket.write("550 5.1.1 user unknown\r\n");
        else if (command === "DATA") {
          socket.write("354 go on\r\n");
          inData = true;
        } else if (command === "QUIT") return void socket.end("221 bye\r\n");
        else socket.write("250 ok\r\n");
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as net.AddressInfo).port, bodies: () => bodies };
}

/** What the transport rejects with when sending one mail to port `port`. */
async function sendError(port: number): Promise<unknown> {
  const transport = createSmtpTransport({ url: `smtp://127.0.0.1:${port}`, socketTimeoutMs: 2_000 });
  try {
    await transport.send(mail);
  } catch (error) {
    return error;
  } finally {
    transport.close();
  }
  throw new Error("the send succeeded");
}

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("isDefinitelyNotSent", () => {
  it("is false for a connection lost after the whole body was sent (the server may have queued it)", async () => {
    const server = await smtpServer("dropAfterBody");
    const error = await sendError(server.port);
    expect(server.bodies()).toBe(1);
    expect(isDefinitelyNotSent(error)).toBe(false);
  });

  it("is false for a connection closed before the greeting (nothing tells it apart from a late drop)", async () => {
    const server = await smtpServer("dropBeforeGreeting");
    expect(isDefinitelyNotSent(await sendError(server.port))).toBe(false);
  });

  it("is true for a refused connection", async () => {
    expect(isDefinitelyNotSent(await sendError(await closedPort()))).toBe(true);
  });

  it("is true for a rejected recipient, which the server answered", async () => {
    const server = await smtpServer("rejectRecipient");
    const error = await sendError(server.port);
    expect(server.bodies()).toBe(0);
    expect(isDefinitelyNotSent(error)).toBe(true);
  });
});
