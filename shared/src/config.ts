/**
 * The configuration schema: every environment variable Taskgate reads, validated with zod,
 * with defaults that serve a developer on one machine. Pure: `loadConfig` does the reading.
 */
import { z } from "zod";
import { DEFAULT_RATE_LIMIT_RULES, rateLimitRules } from "./schemas/rateLimit.js";

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number<string>({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

/** One API key and who it is. */
export const apiKeyEntry = z
  .object({
    key: z.string().min(16, { error: "API keys are at least 16 characters" }),
    userId: z.string().min(1).max(128),
    tier: z.string().min(1).optional(),
    admin: z.boolean().optional(),
  })
  .strict();
export type ApiKeyEntry = z.infer<typeof apiKeyEntry>;

function json<T extends z.ZodType>(schema: T) {
  return z.string().transform((text, ctx): z.output<T> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not valid JSON" });
      return z.NEVER;
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ ...issue, code: "custom", path: issue.path, message: issue.message });
      return z.NEVER;
    }
    return result.data;
  });
}

const trustProxy = z.string().transform((value): boolean | number | string => {
  if (value === "true") return true;
  if (value === "false" || value === "") return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
});

const bool = z.enum(["true", "false", "1", "0"], { error: "must be true or false" }).transform((value) => value === "true" || value === "1");

/** Whether `value` parses as a URL with a host (a port, if any, numeric): what the drivers need. */
function parsesAsUrl(value: string): boolean {
  try {
    return new URL(value).hostname !== "";
  } catch {
    return false;
  }
}

// Parsed here, not first in the driver: a driver's TypeError would echo the URL, password and all.
const redisUrl = z
  .string()
  .regex(/^rediss?:\/\/.+/, { error: "must be a redis:// or rediss:// URL" })
  .refine(parsesAsUrl, { error: "is not a valid URL (redis://[user:password@]host[:port][/db], the port a number)" });
const clusterNodes = z
  .string()
  .transform((value) => value.split(",").map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, { error: "each node is host:port" })).min(1))
  .transform((nodes): ClusterNode[] =>
    nodes.map((node) => {
      const colon = node.lastIndexOf(":");
      return { host: node.slice(0, colon), port: Number(node.slice(colon + 1)) };
    }),
  );

/** One Redis Cluster seed, as ioredis' Cluster takes it. */
export interface ClusterNode {
  host: string;
  port: number;
}

/** One row of the configuration table: the variable's name in the environment and how it is parsed. */
export interface ConfigVariable {
  /** The environment variable, units in the name (`…_MS`). */
  readonly env: string;
  /** Validates the raw string (unset and empty arrive as undefined) and gives the value; holds the default. */
  readonly schema: z.ZodType<unknown, string | undefined>;
}

/**
 * Every variable Taskgate reads, keyed by its name in `Config`, in the order a start-up error
 * lists them. The one place a variable, its rule and its default are written: the env schema,
 * `Config` and `CONFIG_DEFAULTS` all come from this table. Names carry units.
 */
export const CONFIG_VARIABLES = {
  /** Deployment mode (`NODE_ENV`); default `development`. `production` makes the API refuse open mode. */
  nodeEnv: { env: "NODE_ENV", schema: z.string().default("development") },
  /** API port (`PORT`), 0-65535, 0 = any free port; default 3000. */
  port: { env: "PORT", schema: int(0, 65535).default(3000) },
  /** Listen address of the API and of the worker's `/metrics` (`HOST`); default `127.0.0.1`. */
  host: { env: "HOST", schema: z.string().min(1).default("127.0.0.1") },
  /** Redis URL (`REDIS_URL`, `redis://` or `rediss://`); default `redis://127.0.0.1:6379`. */
  redisUrl: { env: "REDIS_URL", schema: redisUrl.default("redis://127.0.0.1:6379") },
  /** Redis Cluster seeds from comma-separated `host:port` (`REDIS_CLUSTER_NODES`); default unset = a single Redis at `redisUrl`. */
  redisClusterNodes: { env: "REDIS_CLUSTER_NODES", schema: clusterNodes.optional() },
  /** How long one Redis command on the request path may take before it counts as failed (`REDIS_COMMAND_TIMEOUT_MS`), in ms, 50-60 000; default 1000. */
  redisCommandTimeoutMs: { env: "REDIS_COMMAND_TIMEOUT_MS", schema: int(50, 60_000).default(1000) },
  /** Prefix of every Redis key, queues included (`KEY_PREFIX`), 1-32 of `[A-Za-z0-9_-]`; default `tg`. */
  keyPrefix: { env: "KEY_PREFIX", schema: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, { error: "1-32 letters, digits, '_' or '-'" }).default("tg") },
  /** API keys, a JSON array of `{ key, userId, tier?, admin? }` (`API_KEYS`, a secret); default unset = open mode. */
  apiKeys: { env: "API_KEYS", schema: json(z.array(apiKeyEntry).min(1)).optional() },
  /** Express trust-proxy setting (`TRUST_PROXY`): `true`/`false`, a hop count, or addresses; default false. */
  trustProxy: { env: "TRUST_PROXY", schema: trustProxy.default(false) },
  /** Rate-limit rules, a JSON array inline (`RATE_LIMIT_RULES`) or the text of `RATE_LIMIT_RULES_FILE`; default the built-in `DEFAULT_RATE_LIMIT_RULES`. */
  rateLimitRules: { env: "RATE_LIMIT_RULES", schema: json(rateLimitRules).default(() => rateLimitRules.parse(DEFAULT_RATE_LIMIT_RULES)) },
  /** Path of a JSON file of rules (`RATE_LIMIT_RULES_FILE`), read by `loadConfig`; default unset. Inline `RATE_LIMIT_RULES` wins. */
  rateLimitRulesFile: { env: "RATE_LIMIT_RULES_FILE", schema: z.string().optional() },
  /** What the limiter does when Redis does not answer (`RATE_LIMIT_FAIL_MODE`): `open` admits, `closed` answers 503; default `open`. */
  rateLimitFailMode: { env: "RATE_LIMIT_FAIL_MODE", schema: z.enum(["open", "closed"]).default("open") },
  /** How long a finished idempotency record is kept (`IDEMPOTENCY_TTL_MS`), in ms, at least 1000 and more than `idempotencyLeaseMs`; default 86 400 000 (24 h). */
  idempotencyTtlMs: { env: "IDEMPOTENCY_TTL_MS", schema: int(1000).default(86_400_000) },
  /** How long an in-flight idempotency claim holds before another request may take it (`IDEMPOTENCY_LEASE_MS`), in ms, at least 100; default 30 000. */
  idempotencyLeaseMs: { env: "IDEMPOTENCY_LEASE_MS", schema: int(100).default(30_000) },
  /** Most entries in the blocked-request log (`BLOCKED_LOG_MAX`), in entries, at least 1; default 10 000. */
  blockedLogMax: { env: "BLOCKED_LOG_MAX", schema: int(1).default(10_000) },
  /** At most this long after a policy change every API process enforces it (`POLICY_REFRESH_MS`), in ms, 100-60 000; default 1000. A process checks the stored version this often, and at once when a check meets a newer one. */
  policyRefreshMs: { env: "POLICY_REFRESH_MS", schema: int(100, 60_000).default(1000) },
  /** Most entries in the audit log of admin writes (`AUDIT_LOG_MAX`), in entries, at least 1; default 10 000. */
  auditLogMax: { env: "AUDIT_LOG_MAX", schema: int(1).default(10_000) },
  /** Whether every request is counted in the Redis time buckets and Prometheus (`METRICS_ENABLED`, true/false/1/0); default true. `false` removes that per-request cost (one pipelined Redis call). */
  metricsEnabled: { env: "METRICS_ENABLED", schema: bool.default(true) },
  /** Whether `/admin` serves the dashboard (`DASHBOARD_ENABLED`, true/false/1/0); default true. The page is static; its data still needs an admin key. */
  dashboardEnabled: { env: "DASHBOARD_ENABLED", schema: bool.default(true) },
  /** How long a per-minute counter bucket is kept after it ends (`METRICS_MINUTE_RETENTION_MS`), in ms, at least 60 000; default 172 800 000 (48 h). */
  metricsMinuteRetentionMs: { env: "METRICS_MINUTE_RETENTION_MS", schema: int(60_000).default(48 * 3_600_000) },
  /** How long a per-hour counter bucket is kept after it ends (`METRICS_HOUR_RETENTION_MS`), in ms, at least 3 600 000; default 2 592 000 000 (30 days). */
  metricsHourRetentionMs: { env: "METRICS_HOUR_RETENTION_MS", schema: int(3_600_000).default(30 * 86_400_000) },
  /** How often an API process writes its request counts, and a worker process its finished-job counts, to Redis (`METRICS_FLUSH_MS`), in ms, 10-60 000; default 1000. Counts are summed in memory in between, so the Redis cost does not grow with traffic. */
  metricsFlushMs: { env: "METRICS_FLUSH_MS", schema: int(10, 60_000).default(1000) },
  /** SMTP URL (`SMTP_URL`, `smtp://user:pass@host:port` or `smtps://`); default unset = the dev outbox. */
  smtpUrl: {
    env: "SMTP_URL",
    schema: z
      .string()
      .regex(/^smtps?:\/\/.+/, { error: "must be an smtp:// or smtps:// URL" })
      .refine(parsesAsUrl, { error: "is not a valid URL (smtp://[user:password@]host[:port], the port a number)" })
      .optional(),
  },
  /** Default sender (`MAIL_FROM`), at least 3 characters; default `Taskgate <no-reply@localhost>`. Its domain is used in Message-IDs. */
  mailFrom: { env: "MAIL_FROM", schema: z.string().min(3).default("Taskgate <no-reply@localhost>") },
  /** Folder the dev outbox writes `.eml` files to (`OUTBOX_DIR`); default `.data/outbox`. */
  outboxDir: { env: "OUTBOX_DIR", schema: z.string().min(1).default(".data/outbox") },
  /** Port of the worker's own Prometheus `/metrics` on `HOST` (`WORKER_METRICS_PORT`), 0-65535, 0 = any free port; default unset = not served. */
  workerMetricsPort: { env: "WORKER_METRICS_PORT", schema: int(0, 65535).optional() },
  /** Jobs one worker process runs at once (`WORKER_CONCURRENCY`), 1-1000; default 10. */
  workerConcurrency: { env: "WORKER_CONCURRENCY", schema: int(1, 1000).default(10) },
  /** Attempts per job (`JOB_ATTEMPTS`), 1-100; default 5. */
  jobAttempts: { env: "JOB_ATTEMPTS", schema: int(1, 100).default(5) },
  /** Base of exponential backoff with jitter (`JOB_BACKOFF_MS`), in ms, at least 0; default 1000. */
  jobBackoffMs: { env: "JOB_BACKOFF_MS", schema: int(0).default(1000) },
  /** Longest one attempt may run before it is aborted and counted as failed (`JOB_TIMEOUT_MS`), in ms, at least 100; default 60 000. */
  jobTimeoutMs: { env: "JOB_TIMEOUT_MS", schema: int(100).default(60_000) },
  /** BullMQ job lock, and the execution guard's lease (`WORKER_LOCK_MS`), in ms, at least 1000; default 30 000. A dead worker's jobs are picked up within about lock + stalled interval. */
  workerLockMs: { env: "WORKER_LOCK_MS", schema: int(1000).default(30_000) },
  /** How often workers look for stalled jobs, whose worker died (`WORKER_STALLED_INTERVAL_MS`), in ms, at least 500; default 15 000. */
  workerStalledIntervalMs: { env: "WORKER_STALLED_INTERVAL_MS", schema: int(500).default(15_000) },
  /** Times a job may stall before it goes dead instead of running again (`WORKER_MAX_STALLED_COUNT`), 0-100; default 2. */
  workerMaxStalledCount: { env: "WORKER_MAX_STALLED_COUNT", schema: int(0, 100).default(2) },
  /** How long completed jobs are kept (`JOB_KEEP_COMPLETED_MS`), in ms, at least 0; default 604 800 000 (7 days, covers the idempotency TTL). */
  jobKeepCompletedMs: { env: "JOB_KEEP_COMPLETED_MS", schema: int(0).default(7 * 86_400_000) },
  /** Most completed jobs kept per queue (`JOB_KEEP_COMPLETED_COUNT`), in jobs, at least 0; default 100 000. */
  jobKeepCompletedCount: { env: "JOB_KEEP_COMPLETED_COUNT", schema: int(0).default(100_000) },
  /** How long dead jobs are kept (`JOB_KEEP_DEAD_MS`), in ms, at least 0; default 2 592 000 000 (30 days). */
  jobKeepDeadMs: { env: "JOB_KEEP_DEAD_MS", schema: int(0).default(30 * 86_400_000) },
  /** Most dead jobs kept per queue (`JOB_KEEP_DEAD_COUNT`), in jobs, at least 0; default 100 000. */
  jobKeepDeadCount: { env: "JOB_KEEP_DEAD_COUNT", schema: int(0).default(100_000) },
  /** Most calls one tRPC batch request may carry (`TRPC_MAX_BATCH`), in calls, 1-1000; default 10. A larger batch is a 400 before any call runs. */
  trpcMaxBatch: { env: "TRPC_MAX_BATCH", schema: int(1, 1000).default(10) },
  /** Deadline for a request's headers and body to arrive before it is cut with 408 (`HTTP_REQUEST_TIMEOUT_MS`), in ms, 1000-3 600 000; default 30 000. Bounds slow-trickle clients. */
  httpRequestTimeoutMs: { env: "HTTP_REQUEST_TIMEOUT_MS", schema: int(1000, 3_600_000).default(30_000) },
  /** How long a SIGTERM drain may take (`SHUTDOWN_TIMEOUT_MS`), in ms, at least 0; default 10 000. */
  shutdownTimeoutMs: { env: "SHUTDOWN_TIMEOUT_MS", schema: int(0).default(10_000) },
  /** pino level (`LOG_LEVEL`): fatal, error, warn, info, debug, trace or silent; default `info`. */
  logLevel: { env: "LOG_LEVEL", schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") },
} as const satisfies Record<string, ConfigVariable>;

type Variables = typeof CONFIG_VARIABLES;

/** The validated configuration, in the shape the code uses: one key per row of `CONFIG_VARIABLES` (its TSDoc there). */
export type Config = { -readonly [K in keyof Variables]: z.output<Variables[K]["schema"]> };

/** The schema over the environment, keyed by variable name: each row's schema under its `env`. */
export const configSchema = z
  .object(Object.fromEntries(Object.values(CONFIG_VARIABLES).map((row) => [row.env, row.schema])) as { [K in keyof Variables as Variables[K]["env"]]: Variables[K]["schema"] })
  // Across variables. A record that expired under a running attempt's lease would let a retry
  // start a fresh record, with a new job id: the same request enqueued twice.
  .superRefine((env, ctx) => {
    if (env.IDEMPOTENCY_TTL_MS <= env.IDEMPOTENCY_LEASE_MS) {
      ctx.addIssue({ code: "custom", path: ["IDEMPOTENCY_TTL_MS"], message: `must be greater than IDEMPOTENCY_LEASE_MS (${env.IDEMPOTENCY_LEASE_MS} ms)` });
    }
  });

/**
 * How long the worker keeps a job's effect record (the execution guard's TTL), in ms: the longer
 * of `jobKeepCompletedMs` and `jobKeepDeadMs`; by default 30 days. Not a variable of its own:
 * a completed job re-run or a dead job retried must still find its record, or it sends again.
 */
export function effectTtlMs(config: Pick<Config, "jobKeepCompletedMs" | "jobKeepDeadMs">): number {
  return Math.max(config.jobKeepCompletedMs, config.jobKeepDeadMs);
}

/**
 * The API refuses open mode in production (docs/OPERATIONS.md "Security"); workers serve no requests and may run
 * without API_KEYS. Throws a ConfigError naming the fix.
 */
export function assertApiConfig(config: Pick<Config, "apiKeys" | "nodeEnv">): void {
  if (config.apiKeys === undefined && config.nodeEnv === "production") {
    throw new ConfigError("Invalid API_KEYS: must be set when NODE_ENV=production (open mode is for development only)");
  }
}

/** Bad configuration values; `message` has one line per bad variable, naming it, its value (never a secret) and what is expected. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_INVALID";
}

/** Variables whose value is a secret as a whole: a start-up error names them but never shows the value. */
const SECRET_VARIABLES = new Set(["API_KEYS"]);

/**
 * ` = "value"` for a start-up error, with nothing of a secret in it: secret variables are not
 * shown, a URL's password is masked (`redis://:***@host`), and long values are cut.
 */
function shownValue(variable: string, raw: string | undefined): string {
  if (raw === undefined || SECRET_VARIABLES.has(variable)) return "";
  const masked = raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_, scheme: string, userInfo: string) => `${scheme}${userInfo.includes(":") ? `${userInfo.slice(0, userInfo.indexOf(":"))}:***` : "***"}@`);
  return ` = ${JSON.stringify(masked.length > 80 ? `${masked.slice(0, 77)}...` : masked)}`;
}

/** Environment as a plain map (process.env, or a test's own). */
export type Env = Record<string, string | undefined>;

/**
 * Validates an environment and returns the config, or throws a ConfigError.
 * `rulesFileText` is the content of `RATE_LIMIT_RULES_FILE`, read by the caller.
 */
export function parseConfig(env: Env, rulesFileText?: string): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  if (rulesFileText !== undefined && cleaned.RATE_LIMIT_RULES === undefined) cleaned.RATE_LIMIT_RULES = rulesFileText;
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    // Every bad variable at once, one line each, so a deploy is not fixed one restart at a time.
    const lines = new Map<string, string>();
    for (const issue of result.error.issues) {
      const variable = String(issue.path[0] ?? "environment");
      if (lines.has(variable)) continue;
      const rest = issue.path.slice(1).join(".");
      const source = variable === "RATE_LIMIT_RULES" && rulesFileText !== undefined ? ` (from ${cleaned.RATE_LIMIT_RULES_FILE})` : "";
      lines.set(variable, `Invalid ${variable}${source}${shownValue(variable, cleaned[variable])}${rest ? ` at ${rest}` : ""}: ${issue.message}`);
    }
    throw new ConfigError([...lines.values()].join("\n"));
  }
  const values = result.data as Record<string, unknown>;
  return Object.fromEntries(Object.entries(CONFIG_VARIABLES).map(([key, row]) => [key, values[row.env]])) as Config;
}

/** Every value an empty environment gives (unset optional variables are undefined): the defaults, for callers and tests that need one. */
export const CONFIG_DEFAULTS: Readonly<Config> = Object.freeze(parseConfig({}));
