/**
 * The prefix of keys that one Lua script touches together. Under Redis Cluster all keys of a
 * script must share a hash slot, so unless `keyPrefix` already holds a hash tag the keys get the
 * tag `{rl}` (`tg:{rl}:rl:<rule>:<windowMs>:<identity>`, `tg:{rl}:policy`), as BullMQ's queues get `{jobs}`.
 * A single Redis keeps the plain `tg:…`. The rate limiter's sets, the stored policy and the
 * audit log all use it: a check reads the policy version, a policy change writes its audit entry.
 */
export function slotKeyPrefix(keyPrefix: string, isCluster: boolean): string {
  // Redis hashes the text between the first `{` and the next `}` when it is not empty.
  return isCluster && !/^[^{]*\{[^}]+\}/.test(keyPrefix) ? `${keyPrefix}:{rl}` : keyPrefix;
}
