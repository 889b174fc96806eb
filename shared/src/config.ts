/**
 * The configuration schema: every environment variable Taskgate reads, validated with zod,
 * with defaults that serve a developer on one machine. Pure: `loadConfig` does the reading.
 */
import { z } from "zod";
import { DEFAULT_RATE_LIMIT_RULES, rateLimitRules, type RateLimitRule } from "./schemas/rateLimit.js";

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

/** Every variable, with its default. Names carry units. */
export const configSchema = z.object({
  /** `production` refuses open mode. */
  NODE_ENV: z.string().default("development"),
  /** API port; default 3000. */
  PORT: int(0, 65535).default(3000),
  /** API listen address; default 127.0.0.1. */
  HOST: z.string().min(1).default("127.0.0.1"),
  /** Redis URL; default redis://127.0.0.1:6379. */
  REDIS_URL: redisUrl.default("redis://127.0.0.1:6379"),
  /** Comma-separated host:port cluster seeds; when set, Redis Cluster is used. */
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  /** How long one Redis command on the request path may take before it counts as failed, in ms; default 1000. */
  REDIS_COMMAND_TIMEOUT_MS: int(50, 60_000).default(1000),
  /** Prefix of every Redis key; default `tg`. */
  KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, { error: "1-32 letters, digits, '_' or '-'" }).default("tg"),
  /** JSON array of API keys; unset = open mode. */
  API_KEYS: json(z.array(apiKeyEntry).min(1)).optional(),
  /** Express trust-proxy setting; default false. */
  TRUST_PROXY: trustProxy.default(false),
  /** Inline JSON rate-limit rules; default built-in rules. */
  RATE_LIMIT_RULES: json(rateLimitRules).optional(),
  /** Path of a JSON file of rules (read by `loadConfig`). */
  RATE_LIMIT_RULES_FILE: z.string().optional(),
  /** What the limiter does when Redis does not answer: `open` admits, `closed` answers 503; default open. */
  RATE_LIMIT_FAIL_MODE: z.enum(["open", "closed"]).default("open"),
  /** How long a finished idempotency record is kept, in ms; default 24 h. */
  IDEMPOTENCY_TTL_MS: int(1000).default(86_400_000),
  /** How long an in-flight idempotency claim holds before another request may take it, in ms; default 30 s. */
  IDEMPOTENCY_LEASE_MS: int(100).default(30_000),
  /** Most entries in the blocked-request log; default 10 000. */
  BLOCKED_LOG_MAX: int(1).default(10_000),
  /** Count every request in the Redis time buckets and Prometheus (`true` or `false`); default true. `false` removes that per-request cost (one pipelined Redis call). */
  METRICS_ENABLED: bool.default(true),
  /** Serve the admin dashboard at `/admin` (`true` or `false`); default true. The page is static; its data still needs an admin key. */
  DASHBOARD_ENABLED: bool.default(true),
  /** How long a per-minute counter bucket is kept after it ends, in ms; default 48 h. */
  METRICS_MINUTE_RETENTION_MS: int(60_000).default(48 * 3_600_000),
  /** How long a per-hour counter bucket is kept after it ends, in ms; default 30 days. */
  METRICS_HOUR_RETENTION_MS: int(3_600_000).default(30 * 86_400_000),
  /** How often an API process writes its request counts to Redis, in ms; default 1000. Counts are summed in memory in between, so the Redis cost does not grow with traffic. */
  METRICS_FLUSH_MS: int(10, 60_000).default(1000),
  /** SMTP URL (`smtp://user:pass@host:port` or `smtps://`); unset = dev outbox. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, { error: "must be an smtp:// or smtps:// URL" })
    .refine(parsesAsUrl, { error: "is not a valid URL (smtp://[user:password@]host[:port], the port a number)" })
    .optional(),
  /** Default sender; default `Taskgate <no-reply@localhost>`. */
  MAIL_FROM: z.string().min(3).default("Taskgate <no-reply@localhost>"),
  /** Dev outbox folder; default `.data/outbox`. */
  OUTBOX_DIR: z.string().min(1).default(".data/outbox"),
  /** Port of the worker's own Prometheus `/metrics` (job outcomes and durations), on `HOST`; unset = not served, 0 = any free port. */
  WORKER_METRICS_PORT: int(0, 65535).optional(),
  /** Jobs one worker process runs at once; default 10. */
  WORKER_CONCURRENCY: int(1, 1000).default(10),
  /** Attempts per job; default 5. */
  JOB_ATTEMPTS: int(1, 100).default(5),
  /** Base of exponential backoff with jitter, in ms; default 1000. */
  JOB_BACKOFF_MS: int(0).default(1000),
  /** Longest one attempt may run before it is aborted and counted as failed, in ms; default 60 000. */
  JOB_TIMEOUT_MS: int(100).default(60_000),
  /** BullMQ job lock, and the execution guard's lease, in ms; default 30 000. A dead worker's jobs are picked up within about lock + stalled interval. */
  WORKER_LOCK_MS: int(1000).default(30_000),
  /** How often workers look for stalled jobs (whose worker died), in ms; default 15 000. */
  WORKER_STALLED_INTERVAL_MS: int(500).default(15_000),
  /** Times a job may stall before it goes dead instead of running again; default 2. */
  WORKER_MAX_STALLED_COUNT: int(0, 100).default(2),
  /** Completed jobs are kept this long, in ms; default 7 days (covers the idempotency TTL). */
  JOB_KEEP_COMPLETED_MS: int(0).default(7 * 86_400_000),
  /** At most this many completed jobs per queue are kept; default 100 000. */
  JOB_KEEP_COMPLETED_COUNT: int(0).default(100_000),
  /** Dead jobs are kept this long, in ms; default 30 days. */
  JOB_KEEP_DEAD_MS: int(0).default(30 * 86_400_000),
  /** At most this many dead jobs per queue are kept; default 100 000. */
  JOB_KEEP_DEAD_COUNT: int(0).default(100_000),
  /** Most calls one tRPC batch request may carry; a larger batch is a 400 before any call runs; default 10. */
  TRPC_MAX_BATCH: int(1, 1000).default(10),
  /** A request whose headers and body have not fully arrived by then is cut with 408, in ms; default 30 000. Bounds slow-trickle clients. */
  HTTP_REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  /** How long a SIGTERM drain may take, in ms; default 10 000. */
  SHUTDOWN_TIMEOUT_MS: int(0).default(10_000),
  /** pino level; default info. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** The validated configuration, in the shape the code uses. */
export interface Config {
  nodeEnv: string;
  port: number;
  host: string;
  redisUrl: string;
  /** Cluster seeds from REDIS_CLUSTER_NODES; undefined = a single Redis at redisUrl. */
  redisClusterNodes: ClusterNode[] | undefined;
  redisCommandTimeoutMs: number;
  keyPrefix: string;
  /** Undefined = open mode. */
  apiKeys: ApiKeyEntry[] | undefined;
  trustProxy: boolean | number | string;
  rateLimitRules: RateLimitRule[];
  rateLimitFailMode: "open" | "closed";
  idempotencyTtlMs: number;
  idempotencyLeaseMs: number;
  blockedLogMax: number;
  /** Whether requests are counted (Redis buckets, Prometheus). */
  metricsEnabled: boolean;
  /** Whether `/admin` serves the dashboard. */
  dashboardEnabled: boolean;
  /** Retention of per-minute counter buckets after they end, in ms. */
  metricsMinuteRetentionMs: number;
  /** Retention of per-hour counter buckets after they end, in ms. */
  metricsHourRetentionMs: number;
  metricsFlushMs: number;
  /** Port of the worker's `/metrics`; undefined = not served. */
  workerMetricsPort: number | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  outboxDir: string;
  workerConcurrency: number;
  jobAttempts: number;
  jobBackoffMs: number;
  jobTimeoutMs: number;
  workerLockMs: number;
  workerStalledIntervalMs: number;
  workerMaxStalledCount: number;
  jobKeepCompletedMs: number;
  jobKeepCompletedCount: number;
  jobKeepDeadMs: number;
  jobKeepDeadCount: number;
  /** Most calls in one tRPC batch. */
  trpcMaxBatch: number;
  /** Deadline for a request's headers and body to arrive, in ms. */
  httpRequestTimeoutMs: number;
  shutdownTimeoutMs: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

/**
 * The API refuses open mode in production (API.md §3); workers serve no requests and may run
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
  const e = result.data;
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    keyPrefix: e.KEY_PREFIX,
    apiKeys: e.API_KEYS,
    trustProxy: e.TRUST_PROXY,
    rateLimitRules: e.RATE_LIMIT_RULES ?? rateLimitRules.parse(DEFAULT_RATE_LIMIT_RULES),
    rateLimitFailMode: e.RATE_LIMIT_FAIL_MODE,
    idempotencyTtlMs: e.IDEMPOTENCY_TTL_MS,
    idempotencyLeaseMs: e.IDEMPOTENCY_LEASE_MS,
    blockedLogMax: e.BLOCKED_LOG_MAX,
    metricsEnabled: e.METRICS_ENABLED,
    dashboardEnabled: e.DASHBOARD_ENABLED,
    metricsMinuteRetentionMs: e.METRICS_MINUTE_RETENTION_MS,
    metricsHourRetentionMs: e.METRICS_HOUR_RETENTION_MS,
    metricsFlushMs: e.METRICS_FLUSH_MS,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    outboxDir: e.OUTBOX_DIR,
    workerConcurrency: e.WORKER_CONCURRENCY,
    jobAttempts: e.JOB_ATTEMPTS,
    jobBackoffMs: e.JOB_BACKOFF_MS,
    jobTimeoutMs: e.JOB_TIMEOUT_MS,
    workerLockMs: e.WORKER_LOCK_MS,
    workerStalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
    workerMaxStalledCount: e.WORKER_MAX_STALLED_COUNT,
    jobKeepCompletedMs: e.JOB_KEEP_COMPLETED_MS,
    jobKeepCompletedCount: e.JOB_KEEP_COMPLETED_COUNT,
    jobKeepDeadMs: e.JOB_KEEP_DEAD_MS,
    jobKeepDeadCount: e.JOB_KEEP_DEAD_COUNT,
    trpcMaxBatch: e.TRPC_MAX_BATCH,
    httpRequestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  };
}
