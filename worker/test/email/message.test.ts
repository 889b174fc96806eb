import { describe, expect, it } from "vitest";
import type { EmailJobData } from "@taskgate/shared";
import { buildMail } from "../../src/email/message.js";

function job(headers: Record<string, string>): EmailJobData {
  return { email: { to: "a@example.com", subject: "s", text: "t", headers }, requestId: "req-1", ownerId: null };
}

describe("the mail's headers", () => {
  it("keeps the caller's X- and allowed headers and adds the worker's own", () => {
    const mail = buildMail("email", "42", job({ "X-Campaign": "spring", "List-Id": "<news.example.com>" }), "Taskgate <no-reply@taskgate.test>");
    expect(mail.headers).toEqual({ "X-Campaign": "spring", "List-Id": "<news.example.com>", "X-Request-Id": "req-1", "X-Taskgate-Job": "email/42" });
  });

  it("drops what a job queued before the allowlist may carry: forged worker headers in any case, trace headers, unsafe keys", () => {
    const headers = JSON.parse('{"x-taskgate-job":"email/forged","X-REQUEST-ID":"forged","Received":"from evil","__proto__":{"polluted":"yes"},"X-Ok":"1"}') as Record<string, string>;
    const mail = buildMail("email", "42", job(headers), "no-reply@taskgate.test");
    expect(mail.headers).toEqual({ "X-Ok": "1", "X-Request-Id": "req-1", "X-Taskgate-Job": "email/42" });
    expect(Object.getPrototypeOf(mail.headers)).toBe(Object.prototype);
    expect("polluted" in mail.headers).toBe(false);
  });
});
