/**
 * The email job domain's public inputs: what `POST /jobs/email` and `/jobs/email/schedule`
 * (and `jobs.email.create` / `jobs.email.schedule`) accept. Also what the worker reads back.
 */
import { z } from "zod";
import { MAX_SCHEDULE_AHEAD_MS } from "../queues.js";

/** Most recipients in one of `to`, `cc`, `bcc`. */
export const MAX_RECIPIENTS = 50;
/** RFC 5322's line-length limit, used as the subject's maximum length. */
export const MAX_SUBJECT_LENGTH = 998;

const emailAddress = z.email({ error: "must be an email address" }).max(254);
const recipients = z.union([
  emailAddress,
  z.array(emailAddress).min(1, { error: "needs at least one address" }).max(MAX_RECIPIENTS, {
    error: `at most ${MAX_RECIPIENTS} addresses`,
  }),
]);

/** Headers the caller may not set: the worker owns them (Message-ID is derived from the job). */
const RESERVED_HEADERS = new Set([
  "from", "to", "cc", "bcc", "subject", "message-id", "date", "reply-to", "sender",
  "content-type", "content-transfer-encoding", "mime-version", "x-request-id",
]);
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, { error: "header names are 1-64 letters, digits or dashes" })
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), { error: "this header is set by Taskgate" });
// A CR or LF in a header value would let a caller inject headers of their own.
const headerValue = z.string().max(998).regex(/^[^\r\n]*$/, { error: "header values may not contain line breaks" });

const metadataValue = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);

const emailFields = z.object({
  to: recipients,
  cc: recipients.optional(),
  bcc: recipients.optional(),
  subject: z.string().min(1, { error: "must not be empty" }).max(MAX_SUBJECT_LENGTH).regex(/^[^\r\n]*$/, {
    error: "must not contain line breaks",
  }),
  text: z.string().max(90_000).optional(),
  html: z.string().max(90_000).optional(),
  replyTo: emailAddress.optional(),
  headers: z.record(headerName, headerValue).optional(),
  /** Free-form data kept with the job and returned by status; never interpreted. */
  metadata: z
    .record(z.string().max(64), metadataValue)
    .refine((m) => Object.keys(m).length <= 50, { error: "at most 50 metadata entries" })
    .optional(),
});

function requireBody(value: { text?: unknown; html?: unknown }, ctx: z.RefinementCtx) {
  if (value.text === undefined && value.html === undefined) {
    ctx.addIssue({ code: "custom", path: ["text"], message: "one of text or html is required" });
  }
}

/** Input of `POST /jobs/email`: one email to send as soon as a worker is free. */
export const emailJobInput = emailFields.strict().superRefine(requireBody);
export type EmailJobInput = z.infer<typeof emailJobInput>;

const sendAt = z
  .union([z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with a zone" }), z.date()])
  .transform((value) => (typeof value === "string" ? new Date(value) : value));

/** Input of `POST /jobs/email/schedule`: the same email plus exactly one of `sendAt` or `delayMs`. */
export const scheduleEmailJobInput = emailFields
  .extend({
    sendAt: sendAt.optional(),
    delayMs: z.number().int().min(0).max(MAX_SCHEDULE_AHEAD_MS, { error: "at most 30 days" }).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    requireBody(value, ctx);
    if ((value.sendAt === undefined) === (value.delayMs === undefined)) {
      ctx.addIssue({ code: "custom", path: ["sendAt"], message: "give exactly one of sendAt or delayMs" });
    }
    // zod 4 runs refinements even when a field already failed (its value is then still the
    // raw input), so check the type before using it.
    if (value.sendAt instanceof Date) {
      const ahead = value.sendAt.getTime() - Date.now();
      if (!(ahead > 0)) ctx.addIssue({ code: "custom", path: ["sendAt"], message: "must be in the future" });
      else if (ahead > MAX_SCHEDULE_AHEAD_MS) {
        ctx.addIssue({ code: "custom", path: ["sendAt"], message: "must be at most 30 days ahead" });
      }
    }
  });
export type ScheduleEmailJobInput = z.input<typeof scheduleEmailJobInput>;

/** What the worker finds in an email job's data: the validated input plus tracing fields. */
export interface EmailJobData {
  email: EmailJobInput;
  /** The API request that created the job, carried into logs and the `X-Request-Id` header. */
  requestId: string;
  /** The user who created the job (null in open mode); status is shown to them and admins. */
  ownerId: string | null;
}

/** What a completed email job returns. */
export interface EmailJobResult {
  messageId: string;
  /** The SMTP server's final response line, or the outbox file. */
  response: string;
  accepted: string[];
  rejected: string[];
  /** True when the execution guard found the mail already sent and skipped the send. */
  deduplicated: boolean;
}
