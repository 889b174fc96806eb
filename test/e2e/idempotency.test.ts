import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { startTestSmtp, type TestSmtpServer } from "#test-support/smtp.js";
import { commandsSent, keysMatching } from "#test-support/redis.js";
import { idempotencyRecordKey } from "../../server/src/idempotency/index.js";
import { API_KEYS_JSON, startStack, USER_A, USER_B, type TestStack } from "#test-support/stack.js";
import { pollUntil, sleep } from "#test-support/time.js";
import { rawExchange } from "#test-support/rawHttp.js";

let smtp: TestSmtpServer;
let stack: TestStack;
beforeAll(async () => {
  smtp = await startTestSmtp();
  // A short lease so the crash test does not wait long for the takeover.
  stack = await startStack({ env: { SMTP_URL: smtp.url, API_KEYS: API_KEYS_JSON, IDEMPOTENCY_LEASE_MS: "500", METRICS_FLUSH_MS: "60000", POLICY_REFRESH_MS: "60000", RATE_LIMIT_RULES: JSON.stringify([{ name: "per-user", key: "user", limit: 1000, windowMs: 60000 }]) } });
});
afterAll(async () => {
  await stack.close();
  await smtp.close();
});

let counter = 0;
const fresh = (label: string) => `${label}-${Date.now()}-${counter++}`;
const mail = (subject: string) => ({ to: "idem@example.com", subject, text: "once" });

function post(key: string | undefined, body: unknown, apiKey = USER_A.key) {
  return stack.request("POST", "/jobs/email", { key: apiKey, body, headers: key === undefined ? {} : { "idempotency-key": key } });
}

async function jobCount(): Promise<number> {
  const counts = await stack.api.deps.queues.email.getJobCounts("waiting", "active", "completed", "delayed", "failed");
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

const delivered = (subject: string) => smtp.received.filter((m) => m.parsed.subject === subject).length;

describe("Idempotency-Key (docs/OPERATIONS.md, the guarantees)", () => {
  it("answers the same key twice with one job and one mail, the second a replay with Idempotent-Replayed", async () => {
    const key = fresh("twice");
    const subject = fresh("subject");
    const first = await post(key, mail(subject));
    expect(first.status).toBe(202);
    const firstBody = await first.json();
    const second = await post(key, mail(subject));
    expect(second.status).toBe(202);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await second.json()).toEqual(firstBody);
    await pollUntil(async () => delivered(subject), (n) => n >= 1);
    await sleep(300);
    expect(delivered(subject)).toBe(1);
  });

  it("makes exactly one job and one mail of 50 concurrent requests with one fresh key; every answer is that 202 or a 409", async () => {
    const key = fresh("burst");
    const subject = fresh("burst-subject");
    const before = await jobCount();
    const responses = await Promise.all(Array.from({ length: 50 }, () => post(key, mail(subject))));
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ jobId?: string; code?: string }>));
    const accepted = responses.map((r, i) => ({ status: r.status, body: bodies[i]!, retryAfter: r.headers.get("retry-after") }));
    expect(accepted.every((a) => a.status === 202 || a.status === 409)).toBe(true);
    const jobIds = new Set(accepted.filter((a) => a.status === 202).map((a) => a.body.jobId));
    expect(jobIds.size).toBe(1);
    for (const conflict of accepted.filter((a) => a.status === 409)) {
      expect(conflict.body.code).toBe("IDEMPOTENCY_KEY_IN_USE");
      expect(conflict.retryAfter).toBe("1");
    }
    expect((await jobCount()) - before).toBe(1);
    await pollUntil(async () => delivered(subject), (n) => n >= 1);
    await sleep(300);
    expect(delivered(subject)).toBe(1);
  });

  it("refuses an Idempotency-Key sent twice with 400 naming it, not as the one key 'a, b' neither meant, and enqueues nothing", async () => {
    const before = await jobCount();
    const body = JSON.stringify(mail("twice-sent"));
    const answer = await rawExchange(
      stack.api.port,
      `POST /jobs/email HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${USER_A.key}\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: "VALIDATION_FAILED", errors: [{ path: "Idempotency-Key", message: expect.stringMatching(/more than once/) }] });
    expect(await jobCount()).toBe(before);
    // One key with a comma in it is still one key.
    expect((await post(fresh("with, comma"), mail("comma"))).status).toBe(202);
  });

  it("answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body", async () => {
    const key = fresh("reuse");
    expect((await post(key, mail("one"))).status).toBe(202);
    const res = await post(key, mail("two"));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { code: string }).code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("scopes keys per user: user B reusing user A's key gets its own job", async () => {
    const key = fresh("scoped");
    const a = (await (await post(key, mail("scoped"))).json()) as { jobId: string };
    const resB = await post(key, mail("scoped"), USER_B.key);
    expect(resB.status).toBe(202);
    expect(resB.headers.get("idempotent-replayed")).toBeNull();
    expect(((await resB.json()) as { jobId: string }).jobId).not.toBe(a.jobId);
  });

  it("stores no 400: a bad body with a key, then a valid body with the same key, is a 202", async () => {
    const key = fresh("after-400");
    expect((await post(key, { to: "nope" })).status).toBe(400);
    const res = await post(key, mail("after a 400"));
    expect(res.status).toBe(202);
    expect(res.headers.get("idempotent-replayed")).toBeNull();
  });

  it("answers 400 for a malformed key", async () => {
    for (const key of ["", "x".repeat(256), "tab\tkey"]) {
      const res = await fetch(`${stack.url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}`, "idempotency-key": key }, body: JSON.stringify(mail("bad key")) });
      expect(res.status, `key ${JSON.stringify(key.slice(0, 10))}`).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe("VALIDATION_FAILED");
    }
  });

  it("releases the key when the enqueue fails, so the same key succeeds afterwards with one job", async () => {
    const queue = stack.api.deps.queues.email;
    const realAdd = queue.add.bind(queue);
    let failures = 1;
    queue.add = (async (...args: Parameters<typeof queue.add>) => {
      if (failures-- > 0) throw new Error("Connection is closed.");
      return realAdd(...args);
    }) as typeof queue.add;
    try {
      const key = fresh("enqueue-fails");
      const before = await jobCount();
      const failed = await post(key, mail("enqueue fails once"));
      expect(failed.status).toBe(503);
      expect(failed.headers.get("retry-after")).toBe("1");
      // The failure came from the enqueue itself, which may have happened: the record stays, so
      // the retry below reuses its id (and job id) instead of starting a second job.
      expect(await stack.api.deps.redis.exists(idempotencyRecordKey(stack.prefix, USER_A.userId, "POST /jobs/email", key))).toBe(1);
      const retried = await post(key, mail("enqueue fails once"));
      expect(retried.status).toBe(202);
      expect(retried.headers.get("idempotent-replayed")).toBeNull();
      expect((await jobCount()) - before).toBe(1);
    } finally {
      queue.add = realAdd as typeof queue.add;
    }
  });

  it("enqueues nothing twice when the API dies between the enqueue and storing the answer", async () => {
    const store = stack.api.deps.idempotency;
    const realComplete = store.complete.bind(store);
    // The "crash": the answer is never stored and the client never hears back.
    store.complete = () => new Promise<boolean>(() => undefined);
    const key = fresh("crash");
    const before = await jobCount();
    try {
      await expect(
        fetch(`${stack.url}/jobs/email`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}`, "idempotency-key": key }, body: JSON.stringify(mail("crash window")), signal: AbortSignal.timeout(1000) }),
      ).rejects.toThrow();
    } finally {
      store.complete = realComplete;
    }
    expect((await jobCount()) - before).toBe(1);
    // While the dead request's lease lasts, a retry is told to wait; after it, the retry takes over.
    const seen = await pollUntil(async () => (await post(key, mail("crash window"))).status, (s) => s === 202, 10_000, 100);
    expect(seen.every((s) => s === 409 || s === 202)).toBe(true);
    expect((await jobCount()) - before).toBe(1);
  });

  it("costs a bounded number of Redis round trips: 4 for a first request with a key, 2 for a replay, 2 without a key", async () => {
    // Request counters are summed in memory and flushed once per METRICS_FLUSH_MS, and the policy
    // version is polled once per POLICY_REFRESH_MS (60 s each in this stack), so neither adds
    // anything per request nor lands inside a measured request.
    const redis = [stack.api.deps.redis, stack.api.deps.queueRedis] as Redis[];
    const key = fresh("trips");
    const first = await commandsSent(redis, () => post(key, mail("trips")).then((r) => r.arrayBuffer()));
    expect(first.names).toHaveLength(4); // claim, rate limit, enqueue, store the answer
    expect(first.roundTrips).toBe(4);
    const replay = await commandsSent(redis, () => post(key, mail("trips")).then((r) => r.arrayBuffer()));
    // The claim finds the stored answer; the limiter's peek (which writes nothing) gives its
    // RateLimit headers, and nothing is charged.
    expect(replay.roundTrips).toBe(2);
    const plain = await commandsSent(redis, () => post(undefined, mail("trips plain")).then((r) => r.arrayBuffer()));
    expect(plain.roundTrips).toBe(2); // rate limit, enqueue
    expect(plain.names.every((n) => n.startsWith("eval"))).toBe(true);
  });

  it("does not charge a replay against the rate limit", async () => {
    const tight = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify([{ name: "two", key: "user", limit: 2, windowMs: 60000 }]) } });
    try {
      const key = fresh("uncharged");
      const send = (k?: string) => tight.request("POST", "/jobs/email", { key: USER_A.key, body: mail("uncharged"), headers: k ? { "idempotency-key": k } : {} });
      expect((await send(key)).status).toBe(202);
      for (let i = 0; i < 5; i += 1) expect((await send(key)).status).toBe(202);
      expect((await send()).status).toBe(202);
      expect((await send()).status).toBe(429);
    } finally {
      await tight.close();
    }
  });

  it("charges a key reused with another body like any request that is not a replay: RateLimit headers, then 429", async () => {
    const tight = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify([{ name: "three", key: "user", limit: 3, windowMs: 60000 }]) } });
    try {
      const key = fresh("conflict");
      const send = (subject: string) => tight.request("POST", "/jobs/email", { key: USER_A.key, body: mail(subject), headers: { "idempotency-key": key } });
      const remaining = (res: Response) => /;r=(\d+)/.exec(res.headers.get("ratelimit") ?? "")?.[1];
      const first = await send("original");
      expect([first.status, remaining(first)]).toEqual([202, "2"]);
      const reused = await send("another body");
      expect([reused.status, remaining(reused)]).toEqual([422, "1"]);
      const replay = await send("original");
      expect([replay.status, replay.headers.get("idempotent-replayed")]).toEqual([202, "true"]);
      // A replay carries the headers too, showing what is left: the 202 and the 422 used two.
      expect([remaining(replay), replay.headers.get("ratelimit-policy")]).toEqual(["1", '"three";q=3;w=60']);
      const overTrpc = await fetch(`${tight.url}/trpc/jobs.email.create`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}`, "idempotency-key": key },
        body: JSON.stringify({ json: mail("original") }),
      });
      expect([overTrpc.status, overTrpc.headers.get("idempotent-replayed"), remaining(overTrpc)]).toEqual([200, "true", "1"]);
      expect((await send("yet another")).status).toBe(422);
      // The limit is used up by the 202 and the two 422s; the replay took nothing.
      const over = await send("one more");
      expect(over.status).toBe(429);
      expect(((await over.json()) as { code: string }).code).toBe("RATE_LIMITED");
    } finally {
      await tight.close();
    }
  });

  it("leaves no idempotency record behind for a 429, over REST and tRPC", async () => {
    const tight = await startStack({ worker: false, env: { API_KEYS: API_KEYS_JSON, RATE_LIMIT_RULES: JSON.stringify([{ name: "one", key: "user", limit: 1, windowMs: 60000 }]) } });
    try {
      const records = () => keysMatching(tight.api.deps.redis, `${tight.prefix}:idem:*`);
      const send = (k: string) => tight.request("POST", "/jobs/email", { key: USER_A.key, body: mail(`refused ${k}`), headers: { "idempotency-key": k } });
      expect((await send("first")).status).toBe(202);
      expect(await records()).toHaveLength(1);
      // Over the limit, every fresh key is a 429 and must not grow Redis.
      for (let i = 0; i < 20; i += 1) expect((await send(`refused-${i}`)).status).toBe(429);
      const viaTrpc = await fetch(`${tight.url}/trpc/jobs.email.create`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}`, "idempotency-key": "refused-trpc" },
        body: JSON.stringify({ json: mail("refused trpc") }),
      });
      expect(viaTrpc.status).toBe(429);
      expect(await records()).toHaveLength(1);
    } finally {
      await tight.close();
    }
  });

  it("replays a scheduled send after its sendAt has passed; a new past sendAt is a 400 that leaves no record", async () => {
    const key = fresh("schedule");
    const schedule = (body: unknown, k: string) => stack.request("POST", "/jobs/email/schedule", { key: USER_A.key, body, headers: { "idempotency-key": k } });
    const sendAt = new Date(Date.now() + 1500).toISOString();
    const body = { ...mail(`scheduled ${key}`), sendAt };
    const first = await schedule(body, key);
    expect(first.status).toBe(202);
    const stored = await first.json();
    // The retry comes after sendAt: it is the same request, so it gets the same answer.
    await pollUntil(async () => Date.now(), (now) => now > Date.parse(sendAt) + 100, 10_000);
    const again = await schedule(body, key);
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(stored);

    // The same past time on a fresh key is not a replay: refused, and nothing of it stays.
    const before = (await keysMatching(stack.api.deps.redis, `${stack.prefix}:idem:*`)).length;
    const refused = await schedule({ ...mail(`late ${key}`), sendAt }, fresh("late"));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "VALIDATION_FAILED", errors: [{ path: "sendAt", message: "must be in the future" }] });
    expect(await keysMatching(stack.api.deps.redis, `${stack.prefix}:idem:*`)).toHaveLength(before);
  });

  it("works the same over tRPC with the Idempotency-Key header", async () => {
    const key = fresh("trpc");
    const call = () =>
      fetch(`${stack.url}/trpc/jobs.email.create`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${USER_A.key}`, "idempotency-key": key },
        body: JSON.stringify({ json: mail("via trpc") }),
      });
    const first = await call();
    const second = await call();
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const id = (r: unknown) => (r as { result: { data: { json: { jobId: string } } } }).result.data.json.jobId;
    expect(id(await second.json())).toBe(id(await first.json()));
  });
});
