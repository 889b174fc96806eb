import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "@taskgate/shared/load-config";
import { assertApiConfig, ConfigError, parseConfig } from "@taskgate/shared";

describe("parseConfig", () => {
  it("gives the documented defaults for an empty environment", () => {
    const config = parseConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(config.keyPrefix).toBe("tg");
    expect(config.apiKeys).toBeUndefined();
    expect(config.rateLimitFailMode).toBe("open");
    expect(config.idempotencyTtlMs).toBe(86_400_000);
    expect(config.workerConcurrency).toBe(10);
    expect(config.jobAttempts).toBe(5);
    expect(config.jobBackoffMs).toBe(1000);
    expect(config.shutdownTimeoutMs).toBe(10_000);
    expect(config.rateLimitRules.map((r) => r.name)).toEqual(["ip-default", "email-per-user"]);
  });

  it("names the variable, the value and what is expected in one line", () => {
    expect(() => parseConfig({ PORT: "abc" })).toThrow(ConfigError);
    expect(() => parseConfig({ PORT: "abc" })).toThrow(/^Invalid PORT = "abc": /);
    expect(() => parseConfig({ REDIS_URL: "http://x" })).toThrow(/Invalid REDIS_URL = "http:\/\/x": must be a redis:\/\//);
  });

  it("names every bad variable at once, one line each", () => {
    expect(() => parseConfig({ PORT: "abc", JOB_ATTEMPTS: "0", LOG_LEVEL: "loud" })).toThrow(
      /^Invalid PORT = "abc": .*\nInvalid JOB_ATTEMPTS = "0": must be at least 1\nInvalid LOG_LEVEL = "loud": /,
    );
  });

  it("never shows a secret in a start-up error: API_KEYS not at all, a URL's password masked", () => {
    const adminKey = "admin-secret-0123456789";
    const badKeys = JSON.stringify([{ key: adminKey, userId: "ops", admin: true, extra: 1 }]);
    const message = (env: Record<string, string>) => {
      try {
        parseConfig(env);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error("expected a ConfigError");
    };
    const keys = message({ API_KEYS: badKeys });
    expect(keys).toMatch(/^Invalid API_KEYS at 0: /);
    expect(keys).not.toContain(adminKey);
    expect(message({ API_KEYS: `[{"key":"${adminKey}"` })).not.toContain(adminKey);

    const redis = message({ REDIS_URL: "redis://:hunter2-secret@db.internal:abc" });
    expect(redis).toMatch(/^Invalid REDIS_URL = "redis:\/\/:\*\*\*@db.internal:abc": is not a valid URL/);
    expect(redis).not.toContain("hunter2");
    const smtp = message({ SMTP_URL: "smtp://mailer:s3cret-pw@mail.internal:port" });
    expect(smtp).not.toContain("s3cret");
    expect(smtp).toContain("smtp://mailer:***@mail.internal:port");
  });

  it("turns REDIS_CLUSTER_NODES into host/port seeds and rejects a node without a port", () => {
    expect(parseConfig({ REDIS_CLUSTER_NODES: "127.0.0.1:7000, redis-b:7001" }).redisClusterNodes).toEqual([
      { host: "127.0.0.1", port: 7000 },
      { host: "redis-b", port: 7001 },
    ]);
    expect(() => parseConfig({ REDIS_CLUSTER_NODES: "127.0.0.1" })).toThrow(/Invalid REDIS_CLUSTER_NODES = "127.0.0.1" at 0: each node is host:port/);
  });

  it("names the bad rule of RATE_LIMIT_RULES", () => {
    const rules = JSON.stringify([{ name: "a", key: "ip", limit: 10, windowMs: 60000 }, { name: "b", key: "nope", limit: 1, windowMs: 1000 }]);
    expect(() => parseConfig({ RATE_LIMIT_RULES: rules })).toThrow(/Invalid RATE_LIMIT_RULES .* at 1\.key/);
  });

  it("reads rules from RATE_LIMIT_RULES_FILE and names the file when they are bad", () => {
    const dir = mkdtempSync(join(tmpdir(), "tg-rules-"));
    try {
      const good = join(dir, "good.json");
      writeFileSync(good, JSON.stringify([{ name: "from-file", key: "global", limit: 5, windowMs: 1000 }]));
      expect(loadConfig({ RATE_LIMIT_RULES_FILE: good }).rateLimitRules.map((r) => r.name)).toEqual(["from-file"]);
      const bad = join(dir, "bad.json");
      writeFileSync(bad, JSON.stringify([{ name: "x", key: "ip", limit: 0, windowMs: 1000 }]));
      expect(() => loadConfig({ RATE_LIMIT_RULES_FILE: bad })).toThrow(`Invalid RATE_LIMIT_RULES (from ${bad})`);
      expect(() => loadConfig({ RATE_LIMIT_RULES_FILE: join(dir, "missing.json") })).toThrow(/Invalid RATE_LIMIT_RULES_FILE = .*cannot read it \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses open mode for the API under NODE_ENV=production, but not for workers", () => {
    const workerConfig = parseConfig({ NODE_ENV: "production" });
    expect(() => assertApiConfig(workerConfig)).toThrow(/^Invalid API_KEYS: must be set when NODE_ENV=production/);
    const keys = JSON.stringify([{ key: "k".repeat(20), userId: "u1" }]);
    expect(() => assertApiConfig(parseConfig({ NODE_ENV: "production", API_KEYS: keys }))).not.toThrow();
    expect(() => assertApiConfig(parseConfig({}))).not.toThrow();
  });
});
