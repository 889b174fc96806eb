/**
 * Mail transports: SMTP (nodemailer) when SMTP_URL is set, else the dev outbox, which writes
 * one readable `.eml` file per message. Both answer with what the receiving side said.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";
import type { OutgoingMail } from "./message.js";

/** What the receiving side answered. */
export interface SendReceipt {
  messageId: string;
  /** The SMTP server's final reply, or the outbox file. */
  response: string;
  accepted: string[];
  rejected: string[];
}

export interface MailTransport {
  /** Sends one message; rejects with nodemailer's error (with `responseCode`) on failure. */
  send(mail: OutgoingMail): Promise<SendReceipt>;
  close(): void;
}

/** Options of the SMTP transport. */
export interface SmtpOptions {
  /** `smtp://user:pass@host:port` or `smtps://…`. */
  url: string;
  /** Socket inactivity limit, in ms; default 30 000. */
  socketTimeoutMs?: number;
  /** Pooled connections; default 5. */
  maxConnections?: number;
}

const addresses = (list: unknown): string[] => (Array.isArray(list) ? list.map((a) => (typeof a === "string" ? a : String((a as { address?: string }).address))) : []);

export function createSmtpTransport(options: SmtpOptions): MailTransport {
  const socketTimeout = options.socketTimeoutMs ?? 30_000;
  const transporter = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    connectionTimeout: Math.min(socketTimeout, 10_000),
    greetingTimeout: Math.min(socketTimeout, 10_000),
    socketTimeout,
  });
  return {
    async send(mail) {
      const info = await transporter.sendMail(mail);
      return { messageId: info.messageId, response: String(info.response), accepted: addresses(info.accepted), rejected: addresses(info.rejected) };
    },
    close: () => transporter.close(),
  };
}

/** Writes each message to `<dir>/<queue>.<job>.eml`; a resend of the same job overwrites its file. */
export function createOutboxTransport(dir: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  let ready: Promise<unknown> | undefined;
  return {
    async send(mail) {
      ready ??= mkdir(dir, { recursive: true });
      await ready;
      const info = await transporter.sendMail(mail);
      // `<email.JOBID@domain>` → `email.JOBID.eml`: one file per job, readable in any mail client.
      const base = mail.messageId.replace(/^<|>$/g, "").replace(/@.*$/, "").replace(/[^A-Za-z0-9._-]/g, "_");
      const file = join(dir, `${base}.eml`);
      await writeFile(file, info.message as Buffer);
      const recipients = [mail.to, mail.cc ?? [], mail.bcc ?? []].flat();
      return { messageId: mail.messageId, response: `written to ${file}`, accepted: recipients, rejected: [] };
    },
    close: () => transporter.close(),
  };
}
