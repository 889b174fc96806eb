/**
 * The email job domain's public inputs: what `POST /jobs/email` and `/jobs/email/schedule`
 * (and `jobs.email.create` / `jobs.email.schedule`) accept. Also what the worker reads back.
 */
import { z } from "zod";
import { MAX_SCHEDULE_AHEAD_MS } from "../queues.js";
import type { FieldIssue } from "../errors.js";

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

/**
 * Headers a caller may set besides their own `X-…` ones: list and threading headers a mail
 * sender legitimately chooses. Everything else is refused rather than reserved one by one:
 * trace and authentication headers (`Received`, `Return-Path`, `Authentication-Results`,
 * `DKIM-Signature`, `Resent-*`) would forge the mail's history, MIME and addressing headers
 * belong to the message Taskgate builds, and a deny-list misses whatever it did not foresee.
 */
export const ALLOWED_MAIL_HEADERS: readonly string[] = [
  "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "In-Reply-To", "References", "Auto-Submitted",
];
const allowedNames = new Set(ALLOWED_MAIL_HEADERS.map((name) => name.toLowerCase()));

/** Why a header name may not be set, or undefined when it may (names are case-insensitive). */
export function mailHeaderRefusal(name: string): string | undefined {
  const lower = name.toLowerCase();
  // The worker writes X-Request-Id and X-Taskgate-Job; a caller's copy would go out beside them.
  if (lower === "x-request-id" || lower.startsWith("x-taskgate-")) return `'${name}' is set by Taskgate`;
  if ((lower.startsWith("x-") && lower.length > 2) || allowedNames.has(lower)) return undefined;
  return `'${name}' may not be set: only X-… headers and ${ALLOWED_MAIL_HEADERS.join(", ")} are allowed`;
}

/**
 * Keys refused in `headers` and `metadata`. JSON.parse makes `"__proto__"` an own key, which
 * zod's record silently drops (so it would pass unnoticed), and any code that later copies
 * the object with `=` or `Object.assign` would set a prototype instead of a field.
 */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * `record` behind a check of the raw input's own keys, which sees `__proto__` before the
 * record drops it. Typed as the record's input, so clients still see the record's type.
 */
function withoutUnsafeKeys<O, I>(record: z.ZodType<O, I>) {
  return z.preprocess((value: I, ctx): I => {
    if (typeof value !== "object" || value === null) return value; // the record reports the type
    const rest: Record<string, unknown> = {};
    let unsafe = false;
    for (const key of Object.keys(value)) {
      if (UNSAFE_KEYS.has(key)) {
        unsafe = true;
        ctx.addIssue({ code: "custom", path: [key], message: `'${key}' may not be used as a key`, input: value });
      } else {
        rest[key] = (value as Record<string, unknown>)[key];
      }
    }
    // Any issue ends a zod pipe before its next stage: check the other keys here, or their
    // errors would go unreported beside this one. Only path and message reach the API.
    if (unsafe) {
      for (const { path, message } of record.safeParse(rest).error?.issues ?? []) ctx.addIssue({ code: "custom", path, message, input: value });
    }
    return value;
  }, record);
}

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, { error: "header names are 1-64 letters, digits or dashes" })
  .superRefine((name, ctx) => {
    const refusal = mailHeaderRefusal(name);
    if (refusal !== undefined) ctx.addIssue({ code: "custom", message: refusal, input: name });
  });
// A CR or LF in a header value would let a caller inject headers of their own.
const headerValue = z.string().max(998).regex(/^[^\r\n]*$/, { error: "header values may not contain line breaks" });
// A bad key is reported as `invalid_key` with a generic message; surface the key's own reason.
const keyError = { error: (issue: { code?: string; issues?: readonly { message?: string }[] }) => (issue.code === "invalid_key" ? issue.issues?.[0]?.message : undefined) };

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
  /** Custom `X-…` headers and the few in `ALLOWED_MAIL_HEADERS`; names are case-insensitive. */
  headers: withoutUnsafeKeys(z.record(headerName, headerValue, keyError))
    .meta({ description: `Custom X-… headers (not X-Taskgate-… or X-Request-Id) and ${ALLOWED_MAIL_HEADERS.join(", ")}; names are case-insensitive.` })
    .optional(),
  /** Free-form data kept with the job and returned by status; never interpreted. */
  metadata: withoutUnsafeKeys(
    z.record(z.string().max(64), metadataValue, keyError).refine((m) => Object.keys(m).length <= 50, { error: "at most 50 metadata entries" }),
  ).optional(),
});

function requireBody(value: { text?: unknown; html?: unknown }, ctx: z.RefinementCtx) {
  if (value.text === undefined && value.html === undefined) {
    ctx.addIssue({ code: "custom", path: ["text"], message: "one of text or html is required" });
  }
}

/** Input of `POST /jobs/email`: one email to send as soon as a worker is free. */
export const emailJobInput = emailFields.strict().superRefine(requireBody);
export type EmailJobInput = z.infer<typeof emailJobInput>;

/** Exactly one of `sendAt` or `delayMs`. */
function checkScheduleChoice(value: { sendAt?: unknown; delayMs?: unknown }, ctx: z.RefinementCtx) {
  if ((value.sendAt === undefined) === (value.delayMs === undefined)) {
    ctx.addIssue({ code: "custom", path: ["sendAt"], message: "give exactly one of sendAt or delayMs" });
  }
}

/**
 * What is wrong with a `sendAt` at `nowMs`: it must be in the future and at most 30 days ahead.
 * Not part of `scheduleEmailJobInput`: a retry of a scheduled send with its Idempotency-Key
 * after `sendAt` has passed must still get its stored answer, so the API checks this only for a
 * call that is not such a replay (the procedure's `checkFresh`).
 */
export function scheduleTimeIssues(value: { sendAt?: unknown }, nowMs: number): FieldIssue[] {
  // zod 4 runs refinements even when a field already failed (its value is then still the
  // raw input), so check the type before using it.
  if (!(value.sendAt instanceof Date)) return [];
  const ahead = value.sendAt.getTime() - nowMs;
  if (!(ahead > 0)) return [{ path: "sendAt", message: "must be in the future" }];
  if (ahead > MAX_SCHEDULE_AHEAD_MS) return [{ path: "sendAt", message: "must be at most 30 days ahead" }];
  return [];
}

/** Exactly one of `sendAt` (in the future, at most 30 days ahead) or `delayMs`. */
function checkScheduleTime(value: { sendAt?: unknown; delayMs?: unknown }, ctx: z.RefinementCtx) {
  checkScheduleChoice(value, ctx);
  for (const issue of scheduleTimeIssues(value, Date.now())) ctx.addIssue({ code: "custom", path: [issue.path], message: issue.message });
}

const sendAt = z
  .union([z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time with a zone" }), z.date()])
  .transform((value) => (typeof value === "string" ? new Date(value) : value));

/**
 * Input of `POST /jobs/email/schedule`: the same email plus exactly one of `sendAt` or `delayMs`.
 * Whether `sendAt` is in the future (and at most 30 days ahead) is `scheduleTimeIssues`, which
 * the API checks after the Idempotency-Key: a replay is answered however much time has passed.
 */
export const scheduleEmailJobInput = emailFields
  .extend({
    sendAt: sendAt.optional(),
    delayMs: z.number().int().min(0).max(MAX_SCHEDULE_AHEAD_MS, { error: "at most 30 days" }).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    requireBody(value, ctx);
    checkScheduleChoice(value, ctx);
  });
export type ScheduleEmailJobInput = z.input<typeof scheduleEmailJobInput>;

/** Input of `jobs.email.reschedule` (`POST /jobs/email/:jobId/reschedule`): exactly one of `sendAt` or `delayMs`, as for schedule. */
export const rescheduleEmailJobInput = z
  .object({
    jobId: z.string().min(1).max(200),
    sendAt: sendAt.optional(),
    delayMs: z.number().int().min(0).max(MAX_SCHEDULE_AHEAD_MS, { error: "at most 30 days" }).optional(),
  })
  .strict()
  .superRefine((value, ctx) => checkScheduleTime(value, ctx));
export type RescheduleEmailJobInput = z.input<typeof rescheduleEmailJobInput>;

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
