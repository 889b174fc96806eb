/**
 * Builders for every Redis key the project writes outside BullMQ, so that names live in one
 * place and every key starts with `KEY_PREFIX`.
 */
export interface KeyBuilders {
  /**
   * Sorted set of one rate-limit rule, checked with one window (ms), for one identity (ip, user,
   * api key or global). The window is part of the key: the set's TTL is only safe for one window.
   */
  rateLimit(rule: string, windowMs: number, identity: string): string;
  /** Hash of one idempotency record (scope = user or ip, route = REST alias). */
  idempotency(scope: string, route: string, key: string): string;
  /** Hash of one job's effect (execution guard). */
  effect(queue: string, jobId: string): string;
  /** Capped stream of blocked requests. */
  blockedLog(): string;
  /** Hash of one time bucket of counters, e.g. `requests`, `minute`, `1700000000000`. */
  counterBucket(series: string, bucket: string, startMs: number): string;
  /** String: the stored rate-limit policy (JSON). Built on the rate limiter's prefix (one slot with its keys). */
  policy(): string;
  /** String: the stored policy's version, which every rate-limit check compares. Same prefix as `policy`. */
  policyVersion(): string;
  /** Hash: what is left of a cancelled job (its status) once BullMQ's job is removed; expires with completed jobs. */
  cancelledJob(queue: string, jobId: string): string;
  /** Capped stream of admin writes. Same prefix as `policy`, so a policy change and its entry are one atomic write. */
  auditLog(): string;
}

/** The key builders for one prefix (default `tg`). */
export function redisKeys(prefix: string): KeyBuilders {
  return {
    rateLimit: (rule, windowMs, identity) => `${prefix}:rl:${rule}:${windowMs}:${identity}`,
    idempotency: (scope, route, key) => `${prefix}:idem:${scope}:${route}:${key}`,
    effect: (queue, jobId) => `${prefix}:effect:${queue}:${jobId}`,
    blockedLog: () => `${prefix}:blocked`,
    counterBucket: (series, bucket, startMs) => `${prefix}:metrics:${series}:${bucket}:${startMs}`,
    policy: () => `${prefix}:policy`,
    policyVersion: () => `${prefix}:policy:version`,
    auditLog: () => `${prefix}:audit`,
    cancelledJob: (queue, jobId) => `${prefix}:cancelled:${queue}:${jobId}`,
  };
}
