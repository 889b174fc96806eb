import { describe, expect, it } from "vitest";
import { ALLOWED_MAIL_HEADERS, emailJobInput, mailHeaderRefusal, scheduleEmailJobInput } from "@taskgate/shared";

const valid = { to: "a@example.com", subject: "Hello", text: "Body" };

/** Every issue of a body given as raw JSON text (as Express's json parser would parse it), as `path: message`. */
function issuesOf(json: string, schema: typeof emailJobInput | typeof scheduleEmailJobInput = emailJobInput): Map<string, string> {
  const result = schema.safeParse(JSON.parse(json));
  return new Map((result.error?.issues ?? []).map((issue) => [issue.path.join("."), issue.message]));
}

const withHeaders = (headers: Record<string, string>) => JSON.stringify({ ...valid, headers });

describe("mail headers", () => {
  it.each([
    // Trace and authentication headers: they would forge the mail's history.
    "Received",
    "Return-Path",
    "Authentication-Results",
    "DKIM-Signature",
    "ARC-Seal",
    "Resent-From",
    "Resent-To",
    "Resent-Date",
    "Resent-Message-ID",
    // MIME and addressing headers: Taskgate builds the message.
    "Content-Disposition",
    "Content-Type",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "From",
    "To",
    "Cc",
    "Bcc",
    "Subject",
    "Message-ID",
    "Date",
    "Reply-To",
    "Sender",
    // The worker's own X- headers, in any case.
    "X-Taskgate-Job",
    "x-taskgate-job",
    "X-TASKGATE-Anything",
    "X-Request-Id",
    "x-request-id",
    // Not an X- header at all.
    "X-",
    "Precedence",
  ])("refuses %s, naming it in the issue's path and message", (name) => {
    const issues = issuesOf(withHeaders({ [name]: "v" }));
    expect([...issues.keys()]).toEqual([`headers.${name}`]);
    expect(issues.get(`headers.${name}`)).toContain(`'${name}'`);
  });

  it("says why: the worker's own headers are set by Taskgate, others are outside the allowlist", () => {
    expect(mailHeaderRefusal("X-Taskgate-Job")).toBe("'X-Taskgate-Job' is set by Taskgate");
    expect(mailHeaderRefusal("Received")).toMatch(/^'Received' may not be set: only X-… headers and List-Unsubscribe, /);
  });

  it("accepts X-Campaign and every allowed header, in any case", () => {
    const headers: Record<string, string> = { "X-Campaign": "spring", "x-mailer-tag": "a" };
    for (const name of ALLOWED_MAIL_HEADERS) headers[name] = "v";
    for (const name of ALLOWED_MAIL_HEADERS) headers[name.toUpperCase()] = "v";
    const result = emailJobInput.safeParse({ ...valid, headers });
    expect(result.error?.issues).toBeUndefined();
    expect(result.data?.headers).toEqual(headers);
    expect(ALLOWED_MAIL_HEADERS).toEqual(["List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "In-Reply-To", "References", "Auto-Submitted"]);
  });

  it("applies the same rules to scheduled mail", () => {
    const issues = issuesOf(JSON.stringify({ ...valid, delayMs: 1000, headers: { Received: "x", "X-Campaign": "spring" } }), scheduleEmailJobInput);
    expect([...issues.keys()]).toEqual(["headers.Received"]);
  });

  it("still refuses bad names and values", () => {
    const issues = issuesOf(withHeaders({ "X-Bad_Name": "v", "X-Tag": "a\r\nBcc: evil@example.com" }));
    expect(issues.get("headers.X-Bad_Name")).toBe("header names are 1-64 letters, digits or dashes");
    expect(issues.get("headers.X-Tag")).toBe("header values may not contain line breaks");
  });
});

describe("unsafe keys in headers and metadata", () => {
  it("refuses an own __proto__ key (which zod's record alone would drop), naming it", () => {
    const json = JSON.stringify({ ...valid, headers: {} }).replace('"headers":{}', '"headers":{"__proto__":{"x":"y"}}');
    expect(Object.keys((JSON.parse(json) as { headers: object }).headers)).toEqual(["__proto__"]);
    expect(issuesOf(json)).toEqual(new Map([["headers.__proto__", "'__proto__' may not be used as a key"]]));
  });

  it("refuses __proto__, constructor and prototype in metadata, and still reports the other bad keys", () => {
    const json = JSON.stringify({ ...valid, metadata: {} }).replace('"metadata":{}', '"metadata":{"__proto__":1,"constructor":2,"prototype":3,"ok":4,"bad":{}}');
    const issues = issuesOf(json);
    expect([...issues.keys()].sort()).toEqual(["metadata.__proto__", "metadata.bad", "metadata.constructor", "metadata.prototype"]);
    expect(issues.get("metadata.constructor")).toBe("'constructor' may not be used as a key");
  });

  it("reports an unsafe header key beside the other bad headers and fields", () => {
    const json = JSON.stringify({ ...valid, subject: "", headers: {} }).replace('"headers":{}', '"headers":{"__proto__":"x","constructor":"y","Received":"r","X-Ok":"fine"}');
    expect([...issuesOf(json).keys()].sort()).toEqual(["headers.Received", "headers.__proto__", "headers.constructor", "subject"]);
  });

  it("keeps accepting ordinary metadata", () => {
    const result = emailJobInput.safeParse({ ...valid, metadata: { campaign: "spring", n: 1, ok: true, none: null } });
    expect(result.data?.metadata).toEqual({ campaign: "spring", n: 1, ok: true, none: null });
  });
});
