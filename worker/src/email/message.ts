/**
 * Turns an email job into the message nodemailer sends. The Message-ID is derived from the
 * job, so a resend of the same job (the one duplicate window) is recognisable as the same mail.
 */
import type { EmailJobData } from "@taskgate/shared";

/** What a transport sends: nodemailer's message fields that Taskgate uses. */
export interface OutgoingMail {
  from: string;
  to: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  replyTo?: string;
  subject: string;
  text?: string;
  html?: string;
  messageId: string;
  headers: Record<string, string>;
}

/** The domain part of the sender, for Message-IDs (`localhost` when it has none). */
export function senderDomain(from: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return match?.[1] ?? "localhost";
}

/** `<email.JOBID@domain>`: stable per job. */
export function messageIdFor(queue: string, jobId: string, from: string): string {
  return `<${queue}.${jobId}@${senderDomain(from)}>`;
}

export function buildMail(queue: string, jobId: string, data: EmailJobData, from: string): OutgoingMail {
  const { email } = data;
  return {
    from,
    to: email.to,
    ...(email.cc !== undefined ? { cc: email.cc } : {}),
    ...(email.bcc !== undefined ? { bcc: email.bcc } : {}),
    ...(email.replyTo !== undefined ? { replyTo: email.replyTo } : {}),
    subject: email.subject,
    ...(email.text !== undefined ? { text: email.text } : {}),
    ...(email.html !== undefined ? { html: email.html } : {}),
    messageId: messageIdFor(queue, jobId, from),
    headers: { ...email.headers, "X-Request-Id": data.requestId, "X-Taskgate-Job": `${queue}/${jobId}` },
  };
}
