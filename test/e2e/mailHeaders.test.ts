/**
 * The mail-header contract end to end: raw JSON bodies through Express's json parser and the
 * procedure's schema (so an own `__proto__` key really reaches the check), and a delivered mail
 * read back from a real SMTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { API_KEYS_JSON, startStack, USER_A, type TestStack } from "#test-support/stack.js";
import { pollUntil } from "#test-support/time.js";

let smtp: TestSmtpServer;
let stack: TestStack;

beforeAll(async () => {
  smtp = await startTestSmtp();
  stack = await startStack({ env: { SMTP_URL: smtp.url, API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: "[]", MAIL_FROM: "Taskgate <no-reply@taskgate.test>" } });
});
afterAll(async () => {
  await stack?.close();
  await smtp?.close();
});

const MAIL = '"to":"ann@example.com","subject":"Headers","text":"Body"';

/** POSTs `json` as it is, and expects a 400 VALIDATION_FAILED; returns its issues by path. */
async function refused(json: string, path = "/jobs/email"): Promise<Map<string, string>> {
  const res = await stack.request("POST", path, { key: USER_A.key, body: json });
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const problem = (await res.json()) as { code: string; errors: { path: string; message: string }[] };
  expect(problem.code).toBe("VALIDATION_FAILED");
  return new Map(problem.errors.map((error) => [error.path, error.message]));
}

/** Every occurrence of a header in a raw message's header section (unfolded), as values. */
function headerValues(raw: string, name: string): string[] {
  const head = raw.slice(0, raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
  return head
    .split("\r\n")
    .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((line) => line.slice(name.length + 1).trim());
}

describe("mail headers", () => {
  it("refuses reserved headers with 400, naming each one", async () => {
    const reserved = ["Received", "Return-Path", "Authentication-Results", "DKIM-Signature", "Content-Disposition", "Resent-From", "X-Taskgate-Job", "x-taskgate-job", "X-Request-Id"];
    const headers = reserved.map((name) => `${JSON.stringify(name)}:"forged"`).join(",");
    const body = `{${MAIL},"headers":{${headers},"X-Campaign":"spring"}}`;
    for (const route of ["/jobs/email", "/jobs/email/schedule"]) {
      const json = route.endsWith("schedule") ? body.replace(/}$/, ',"delayMs":1000}') : body;
      const issues = await refused(json, route);
      expect([...issues.keys()].sort()).toEqual(reserved.map((name) => `headers.${name}`).sort());
      for (const name of reserved) expect(issues.get(`headers.${name}`)).toContain(`'${name}'`);
    }
  });

  it("refuses __proto__ in headers and in metadata with 400 naming the key (JSON.parse keeps it as an own key)", async () => {
    const inHeaders = await refused(`{${MAIL},"headers":{"__proto__":{"x":"y"}}}`);
    expect(inHeaders).toEqual(new Map([["headers.__proto__", "'__proto__' may not be used as a key"]]));
    const inMetadata = await refused(`{${MAIL},"metadata":{"__proto__":1}}`);
    expect(inMetadata).toEqual(new Map([["metadata.__proto__", "'__proto__' may not be used as a key"]]));
    const others = await refused(`{${MAIL},"metadata":{"constructor":1,"prototype":2}}`);
    expect([...others.keys()].sort()).toEqual(["metadata.constructor", "metadata.prototype"]);
  });

  it("refuses __proto__ over tRPC too, before superjson would drop it", async () => {
    for (const [body, path] of [
      [`{"json":{${MAIL},"headers":{"__proto__":{"x":"y"}}}}`, "headers.__proto__"],
      [`{"json":{${MAIL},"metadata":{"__proto__":1}}}`, "metadata.__proto__"],
    ] as const) {
      const res = await fetch(`${stack.url}/trpc/jobs.email.create`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` }, body });
      expect(res.status).toBe(400);
      const answer = (await res.json()) as { error: { json: { data: { problem: { code: string; errors: { path: string }[] } } } } };
      expect(answer.error.json.data.problem.code).toBe("VALIDATION_FAILED");
      expect(answer.error.json.data.problem.errors.map((error) => error.path)).toEqual([path]);
    }
  });

  it("refuses constructor and prototype over tRPC too", async () => {
    const res = await fetch(`${stack.url}/trpc/jobs.email.create`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}` },
      body: `{"json":{${MAIL},"headers":{"constructor":"x"},"metadata":{"prototype":1}}}`,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { json: { data: { problem: { errors: { path: string }[] } } } } };
    expect(body.error.json.data.problem.errors.map((error) => error.path).sort()).toEqual(["headers.constructor", "metadata.prototype"]);
  });

  it("delivers X-Campaign once, beside exactly one X-Taskgate-Job: the worker's own", async () => {
    const res = await stack.request("POST", "/jobs/email", {
      key: USER_A.key,
      body: `{"to":"bob@example.com","subject":"Spring campaign","text":"Hello","headers":{"X-Campaign":"spring","List-Unsubscribe":"<mailto:unsubscribe@example.com>"}}`,
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    await pollUntil(async () => smtp.received.some((m) => m.parsed.subject === "Spring campaign"), Boolean);
    const mail = smtp.received.find((m) => m.parsed.subject === "Spring campaign")!;
    expect(headerValues(mail.raw, "X-Campaign")).toEqual(["spring"]);
    expect(headerValues(mail.raw, "List-Unsubscribe")).toEqual(["<mailto:unsubscribe@example.com>"]);
    expect(headerValues(mail.raw, "X-Taskgate-Job")).toEqual([`email/${jobId}`]);
    expect(headerValues(mail.raw, "X-Request-Id")).toEqual([res.headers.get("x-request-id")]);
  });
});
