/**
 * A real SMTP server in-process (`smtp-server`) for tests: records every accepted message
 * (parsed with mailparser) and lets a test decide how each RCPT or DATA is answered.
 */
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";

/** One accepted message. */
export interface ReceivedMail {
  raw: string;
  parsed: ParsedMail;
  messageId: string | undefined;
  envelopeTo: string[];
  receivedAt: number;
}

/** An SMTP error reply for a test to return: `{ code: 550, message: "5.1.1 user unknown" }`. */
export interface SmtpReply {
  code: number;
  message: string;
}

export interface TestSmtpOptions {
  /** Decides each recipient; return a reply to reject it. */
  onRecipient?: (address: string) => SmtpReply | undefined;
  /** Decides each message after DATA; return a reply to reject it. May wait (slow server). */
  onMessage?: (raw: string, attempt: number) => Promise<SmtpReply | undefined> | SmtpReply | undefined;
}

export interface TestSmtpServer {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** Messages that reached DATA (accepted or not). */
  dataAttempts: number;
  /** Resolves once `count` messages were accepted. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

function smtpError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

export async function startTestSmtp(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  const state = { dataAttempts: 0 };
  // A client that hung up before our (slow) answer did not get its mail accepted.
  const closedSessions = new Set<string>();
  const server = new SMTPServer({
    onClose(session) {
      closedSessions.add(session.id);
    },
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      const reply = options.onRecipient?.(address.address);
      callback(reply ? smtpError(reply) : undefined);
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        state.dataAttempts += 1;
        const attempt = state.dataAttempts;
        void (async () => {
          const reply = await options.onMessage?.(raw, attempt);
          if (reply) return callback(smtpError(reply));
          if (closedSessions.has(session.id)) return callback(new Error("client went away"));
          const parsed = await simpleParser(raw);
          received.push({ raw, parsed, messageId: parsed.messageId, envelopeTo: session.envelope.rcptTo.map((r) => r.address), receivedAt: Date.now() });
          for (const wake of waiters.splice(0)) wake();
          callback(null);
        })();
      });
    },
  });
  // Clients killed mid-session (chaos tests) reset their sockets; that is expected here.
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    get dataAttempts() {
      return state.dataAttempts;
    },
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} mails, got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
