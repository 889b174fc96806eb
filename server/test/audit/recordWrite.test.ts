/**
 * The audit entry of a write that has already happened: written when Redis takes it; when Redis
 * refuses it (here a key of the wrong type, a real Redis error), logged and not thrown, so the
 * request that made the write still answers its result.
 */
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createAuditLog } from "../../src/audit/auditLog.js";
import { recordWrite } from "../../src/audit/recordWrite.js";
import { prefixPerTest } from "#test-support/prefixPerTest.js";
import { connectTestRedis } from "#test-support/redis.js";

const redis = connectTestRedis();
afterAll(() => redis.quit());
const prefix = prefixPerTest(redis);

/** A real pino logger whose lines are kept, parsed. */
function collectingLogger() {
  const errors: Record<string, unknown>[] = [];
  const logger = pino({ level: "error" }, { write: (line: string) => void errors.push(JSON.parse(line) as Record<string, unknown>) });
  return Object.assign(logger, { errors });
}

const entry = { actor: "admin", action: "deadJobs.delete", target: "email/42", details: { queue: "email", jobId: "42" } };

describe("recordWrite", () => {
  it("appends the entry to the audit log and logs nothing", async () => {
    const audit = createAuditLog({ redis, keyPrefix: prefix(), maxEntries: 100 });
    const logger = collectingLogger();
    await recordWrite({ audit, logger }, entry);
    const { entries } = await audit.read({ limit: 10 });
    expect(entries.map(({ actor, action, target, details }) => ({ actor, action, target, details }))).toEqual([entry]);
    expect(logger.errors).toEqual([]);
  });

  it("resolves when Redis refuses the entry, and logs the action and target instead", async () => {
    const audit = createAuditLog({ redis, keyPrefix: prefix(), maxEntries: 100 });
    await redis.set(audit.key, "not a stream");
    const logger = collectingLogger();
    await expect(recordWrite({ audit, logger }, entry)).resolves.toBeUndefined();
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]).toMatchObject({ action: "deadJobs.delete", target: "email/42", msg: "could not write the audit entry of an admin write" });
    expect((logger.errors[0]!.err as { message: string }).message).toMatch(/WRONGTYPE/);
  });
});
