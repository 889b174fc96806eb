/**
 * Turns an email job into the message nodemailer sends. The Message-ID is derived from the
 * job, so a resend of the same job (the one duplicate window) is recognisable as the same mail.
 */
import { mailHeaderRefusal, type EmailJobData } from "@taskgate/shared";

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

/** One message, sender parsed on the spot (the processor uses `mailBuilder`). */
export function buildMail(queue: string, jobId: string, data: EmailJobData, from: string): OutgoingMail {
  return mailBuilder(from)(queue, jobId, data);
}

/**
 * `buildMail` with the sender fixed: the sender's domain is parsed once, not per job, and the
 * message is assembled without object spreads (this runs once per job).
 */
export function mailBuilder(from: string): (queue: string, jobId: string, data: EmailJobData) => OutgoingMail {
  const domain = senderDomain(from);
  return (queue, jobId, data) => {
    const { email } = data;
    const headers: Record<string, string> = {};
    // The API refuses every header outside its allowlist, but a job queued before it did (or
    // written by other code) may carry a Received header, or an X-Taskgate-Job in another case
    // that would go out beside the worker's own. Own keys, copied one by one: never a prototype.
    if (email.headers) {
      for (const name of Object.keys(email.headers)) if (mailHeaderRefusal(name) === undefined) headers[name] = email.headers[name]!;
    }
    headers["X-Request-Id"] = data.requestId;
    headers["X-Taskgate-Job"] = `${queue}/${jobId}`;
    // `<email.JOBID@domain>`: stable per job.
    const mail: OutgoingMail = { from, to: email.to, subject: email.subject, messageId: `<${queue}.${jobId}@${domain}>`, headers };
    if (email.cc !== undefined) mail.cc = email.cc;
    if (email.bcc !== undefined) mail.bcc = email.bcc;
    if (email.replyTo !== undefined) mail.replyTo = email.replyTo;
    if (email.text !== undefined) mail.text = email.text;
    if (email.html !== undefined) mail.html = email.html;
    return mail;
  };
}
