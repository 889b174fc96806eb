/**
 * Failure classification: permanent failures (SMTP 5xx, rejected recipients, a message the
 * worker cannot build) end the job at once; transient ones (network, timeouts, SMTP 4xx) are
 * retried. Also decides whether a failed send definitely did not deliver, which lets the
 * execution guard release its claim instead of waiting for the lease to expire.
 */

/** nodemailer's error fields that matter here. */
interface MailError {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
  /** The system call a socket error came from (kept by nodemailer from Node's error). */
  syscall?: string;
}

/** How a failed attempt is reported and handled. */
export interface Classification {
  permanent: boolean;
  /** In words a person understands: "recipient rejected: 550 5.1.1 user unknown". */
  reason: string;
  responseCode: number | undefined;
}

const NETWORK_CODES = new Set(["ECONNECTION", "ECONNREFUSED", "ECONNRESET", "EDNS", "ESOCKET", "ETIMEDOUT", "ETLS", "EPIPE", "EHOSTUNREACH"]);

function smtpReply(error: MailError): string {
  const text = (error.response ?? error.message ?? "").trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

export function classifyFailure(error: unknown): Classification {
  const e = (typeof error === "object" && error !== null ? error : { message: String(error) }) as MailError;
  const code = e.responseCode;
  if (typeof code === "number") {
    const what = e.code === "EENVELOPE" || e.command === "RCPT TO" ? "recipient rejected" : e.code === "EAUTH" ? "SMTP authentication failed" : "message rejected";
    const reply = smtpReply(e);
    const text = reply.startsWith(String(code)) ? reply : `${code} ${reply}`;
    return { permanent: code >= 500, reason: `${what}: ${text}`, responseCode: code };
  }
  if (e.code === "EENVELOPE" || e.code === "EMESSAGE") return { permanent: true, reason: `invalid message: ${e.message ?? "rejected by the mailer"}`, responseCode: undefined };
  if (e.code && NETWORK_CODES.has(e.code)) return { permanent: false, reason: `SMTP server unreachable: ${e.message ?? e.code}`, responseCode: undefined };
  if (e.code === "JOB_TIMEOUT") return { permanent: false, reason: e.message ?? "timed out", responseCode: undefined };
  return { permanent: false, reason: e.message ?? "unknown error", responseCode: undefined };
}

/**
 * True when the receiving side certainly did not accept the message: it answered with a
 * rejection, the mailer refused the message before sending, or the connection never opened
 * (refused, or no address for the host). Anything else is ambiguous, and so is every error
 * nodemailer tags `command: "CONN"`: it tags every socket error so, including a connection
 * lost after the whole body was sent, which a server may already have queued for delivery.
 */
export function isDefinitelyNotSent(error: unknown): boolean {
  const e = (typeof error === "object" && error !== null ? error : {}) as MailError;
  if (typeof e.responseCode === "number") return true;
  if (e.code === "EENVELOPE" || e.code === "EMESSAGE") return true;
  // A failed `connect` (refused, unreachable) or host lookup: no connection ever opened.
  // nodemailer reports these as ESOCKET with Node's own `syscall` kept.
  return e.syscall === "connect" || e.syscall === "getaddrinfo" || e.code === "ECONNREFUSED" || e.code === "EDNS";
}
