import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "@taskgate/shared/load-config";
import { assertApiConfig, CONFIG_DEFAULTS, CONFIG_VARIABLES, ConfigError, configSchema, effectTtlMs, parseConfig } from "@taskgate/shared";

describe("the configuration table", () => {
  it("gives each variable one env name and one config key, and the env schema exactly those names", () => {
    const envNames = Object.values(CONFIG_VARIABLES).map((row) => row.env);
    expect(new Set(envNames).size).toBe(envNames.length);
    expect(Object.keys(configSchema.shape)).toEqual(envNames);
    expect(Object.keys(parseConfig({}))).toEqual(Object.keys(CONFIG_VARIABLES));
  });

  it("exports the defaults an empty environment gives", () => {
    expect(CONFIG_DEFAULTS).toEqual(parseConfig({}));
    expect(Object.isFrozen(CONFIG_DEFAULTS)).toBe(true);
    expect(CONFIG_DEFAULTS.redisCommandTimeoutMs).toBe(1000);
    expect(CONFIG_DEFAULTS.idempotencyLeaseMs).toBe(30_000);
    expect(CONFIG_DEFAULTS.blockedLogMax).toBe(10_000);
    expect(CONFIG_DEFAULTS.workerLockMs).toBe(30_000);
    expect(CONFIG_DEFAULTS.metricsMinuteRetentionMs).toBe(48 * 3_600_000);
    expect(CONFIG_DEFAULTS.metricsHourRetentionMs).toBe(30 * 86_400_000);
    expect(CONFIG_DEFAULTS.redisClusterNodes).toBeUndefined();
  });

  it("keeps effect records as long as the longer job retention: 30 days by default", () => {
    expect(effectTtlMs(CONFIG_DEFAULTS)).toBe(30 * 86_400_000);
    expect(effectTtlMs(parseConfig({ JOB_KEEP_COMPLETED_MS: "3600000", JOB_KEEP_DEAD_MS: "60000" }))).toBe(3_600_000);
  });
});

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

  it("refuses an idempotency record lifetime not longer than its lease (a record must outlive a running attempt)", () => {
    expect(() => parseConfig({ IDEMPOTENCY_TTL_MS: "1000" })).toThrow(/^Invalid IDEMPOTENCY_TTL_MS = "1000": must be greater than IDEMPOTENCY_LEASE_MS \(30000 ms\)$/);
    expect(() => parseConfig({ IDEMPOTENCY_TTL_MS: "5000", IDEMPOTENCY_LEASE_MS: "5000" })).toThrow(/IDEMPOTENCY_TTL_MS.*greater than IDEMPOTENCY_LEASE_MS/);
    expect(parseConfig({ IDEMPOTENCY_TTL_MS: "5000", IDEMPOTENCY_LEASE_MS: "4999" })).toMatchObject({ idempotencyTtlMs: 5000, idempotencyLeaseMs: 4999 });
  });

  it("names every bad variable at once, one line each", () => {
    expect(() => parseConfig({ PORT: "abc", JOB_ATTEMPTS: "0", LOG_LEVEL: "loud" })).toThrow(
      /^Invalid PORT = "abc": .*\nInvalid JOB_ATTEMPTS = "0": must be at least 1\nInvalid LOG_LEVEL = "loud": /,
    );
  });

  it("names bad variables of every kind in one message, a secret's without its value", () => {
    const adminKey = "admin-secret-0123456789";
    let message = "";
    try {
      parseConfig({ API_KEYS: `[{"key":"${adminKey}"`, REDIS_URL: "redis://:pw-secret@h:x", METRICS_ENABLED: "yes", PORT: "3000" });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message.split("\n")).toEqual([
      'Invalid REDIS_URL = "redis://:***@h:x": is not a valid URL (redis://[user:password@]host[:port][/db], the port a number)',
      "Invalid API_KEYS: is not valid JSON",
      'Invalid METRICS_ENABLED = "yes": must be true or false',
    ]);
    expect(message).not.toContain(adminKey);
    expect(message).not.toContain("pw-secret");
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
