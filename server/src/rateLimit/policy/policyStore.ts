/**
 * The rate-limit policy in Redis: read it, change it by compare-and-set (each change a new
 * version, written with its audit entry by one script), and seed it from configuration at
 * start-up (docs/RATE_LIMITING.md, "The policy").
 */
import type { Cluster, Redis } from "ioredis";
import { redisKeys, type RateLimitRule } from "@taskgate/shared";
import { defineLuaCommands } from "@taskgate/shared/lua";
import { auditFields, type AuditRecord } from "../../audit/auditLog.js";
import { ValidationError, VersionConflictError } from "../../errors/appErrors.js";
import { slotKeyPrefix } from "../../redis/slotPrefix.js";
import { beforeOf, configHashOf, keptOverrides, readStoredPolicy, StoredPolicyError, type StoredPolicy, type VersionedPolicy } from "./policyDoc.js";
import { policyWriteScript, type PolicyWriteCommands } from "./scripts.js";

/** How often a change is tried again when another writer got in between (no expectedVersion given). */
const MAX_WRITE_ATTEMPTS = 5;

/**
 * Most bytes a stored policy document may take (8 MiB). Every change reads, parses and rewrites
 * the whole document, and every API process reloads it; 20 000 overrides of usual size take
 * about 4 MiB, while long reasons and identities could otherwise make one ten times that.
 */
export const MAX_POLICY_DOCUMENT_BYTES = 8 * 1024 * 1024;

/** What a change makes of the current policy: the next document and what the audit entry says; null = no change. */
export type PolicyChange = (current: VersionedPolicy | null) => { next: StoredPolicy; audit: Omit<AuditRecord, "actor"> } | null;

/** Options of `createPolicyStore`. */
export interface PolicyStoreOptions {
  redis: Redis | Cluster;
  /** `KEY_PREFIX`. */
  keyPrefix: string;
  /** The audit log's key and cap (`AUDIT_LOG_MAX`): every change is written with its entry. */
  audit: { key: string; maxEntries: number };
  /** Wall clock, in ms since the epoch (override expiry, `updatedAt`); default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Options of `PolicyStore.update`. */
export interface UpdateOptions {
  /**
   * The change replaces every rule, so it may replace a stored document whose rules do not fit
   * the schema (damaged by hand, or written by an older version whose schema was looser): the
   * change is then given a stand-in with `damaged` set, no rules and the overrides that could be
   * read. Without it such a document is a `StoredPolicyError`. Default false.
   */
  replacesRules?: boolean;
}

export interface PolicyStore {
  /** The policy's version key (what every rate-limit check compares). */
  readonly versionKey: string;
  /** The stored policy, or null when none is stored. */
  read(): Promise<VersionedPolicy | null>;
  /** Just the stored version (0 when none is): one GET, for the periodic check. */
  readVersion(): Promise<number>;
  /**
   * Applies `change` to the current policy and stores the result as the next version, with its
   * audit entry by `actor`. With `expectedVersion`, a policy at another version is a
   * VersionConflictError and nothing changes; without, a concurrent writer only makes it read
   * again and re-apply. Resolves with the policy as stored (the current one when `change` made none).
   */
  update(actor: string, change: PolicyChange, expectedVersion?: number, options?: UpdateOptions): Promise<VersionedPolicy | null>;
  /**
   * Start-up (docs/RATE_LIMITING.md): stores `configured` as version 1 when no policy is stored,
   * and replaces the stored rules with them when they differ from the rules last seeded from
   * configuration (overrides that still fit are kept); otherwise the stored policy stands. Both
   * changes are audited with actor `config`.
   */
  seed(configured: readonly RateLimitRule[]): Promise<VersionedPolicy>;
}

export function createPolicyStore(options: PolicyStoreOptions): PolicyStore {
  const { redis, audit } = options;
  const now = options.now ?? Date.now;
  const keys = redisKeys(slotKeyPrefix(options.keyPrefix, redis.isCluster));
  const docKey = keys.policy();
  const versionKey = keys.policyVersion();
  defineLuaCommands(redis, [policyWriteScript]);
  const client = redis as unknown as PolicyWriteCommands;

  /** The stored policy as far as it can be read: `damaged` set when its rules do not fit (see `readStoredPolicy`). */
  async function readStored(): Promise<VersionedPolicy | null> {
    const [doc, version] = await redis.mget(docKey, versionKey);
    if (doc == null || version == null) return null;
    const { policy, problems } = readStoredPolicy(doc);
    return problems === undefined ? { ...policy, version: Number(version) } : { ...policy, version: Number(version), damaged: problems };
  }

  /**
   * The stored policy. One whose rules do not fit is refused (a StoredPolicyError), so the caller
   * keeps what it had rather than half-apply it; only a change that replaces every rule is given
   * the stand-in (`UpdateOptions.replacesRules`).
   */
  async function read(): Promise<VersionedPolicy | null> {
    return refusingDamaged(await readStored());
  }

  async function update(actor: string, change: PolicyChange, expectedVersion?: number, updateOptions: UpdateOptions = {}): Promise<VersionedPolicy | null> {
    for (let attempt = 1; ; attempt++) {
      const found = await readStored();
      const current = updateOptions.replacesRules === true ? found : refusingDamaged(found);
      const currentVersion = current?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== currentVersion) throw new VersionConflictError(expectedVersion, currentVersion);
      const result = change(current);
      if (result === null) return current;
      const document = JSON.stringify(result.next);
      const bytes = Buffer.byteLength(document);
      if (bytes > MAX_POLICY_DOCUMENT_BYTES) {
        const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
        throw new ValidationError([{ path: "", message: `the policy would take ${mib(bytes)}, more than the ${mib(MAX_POLICY_DOCUMENT_BYTES)} it may` }], "The policy would be too large; remove overrides or shorten their reasons.");
      }
      const entry = { ...result.audit, actor, details: { ...result.audit.details, version: currentVersion + 1 } };
      const [written, stored] = await client.policyWrite(docKey, versionKey, audit.key, currentVersion, document, audit.maxEntries, ...auditFields(entry));
      if (written === 1) return { ...result.next, version: stored };
      if (expectedVersion !== undefined) throw new VersionConflictError(expectedVersion, stored);
      if (attempt >= MAX_WRITE_ATTEMPTS) throw new Error(`the policy changed under ${MAX_WRITE_ATTEMPTS} attempts in a row to update it`);
    }
  }

  return {
    versionKey,
    read,
    async readVersion() {
      return Number((await redis.get(versionKey)) ?? 0);
    },
    update,
    async seed(configured) {
      const configHash = configHashOf(configured);
      const seeded = await update(
        "config",
        (current) => {
          // A stored document whose rules do not fit cannot stand: every process would enforce
          // the configured rules anyway, and no admin change could read it. It is replaced.
          if (current && current.configHash === configHash && !current.damaged) return null;
          const at = now();
          const rules = [...configured];
          if (!current) {
            return { next: { rules, overrides: [], updatedAt: at, updatedBy: "config", configHash }, audit: { action: "policy.seed", target: "policy", details: { after: { rules } } } };
          }
          const overrides = keptOverrides(rules, current.overrides, at);
          return {
            next: { rules, overrides, updatedAt: at, updatedBy: "config", configHash },
            audit: { action: "policy.config", target: "policy", details: { before: beforeOf(current), after: { rules }, droppedOverrides: current.overrides.length - overrides.length } },
          };
        },
        undefined,
        { replacesRules: true },
      );
      if (!seeded) throw new Error("the policy could not be seeded");
      return seeded;
    },
  };
}

/** `policy`, unless its rules do not fit: then the StoredPolicyError that says why. */
function refusingDamaged(policy: VersionedPolicy | null): VersionedPolicy | null {
  if (policy?.damaged !== undefined) throw new StoredPolicyError(policy.damaged);
  return policy;
}
