--[[
  Replaces the stored rate-limit policy if it is still at the version the caller read, and
  appends the change to the audit log, in one atomic step: a policy change without its audit
  entry (or an entry without its change) cannot exist.

  Input:
    KEYS[1]   string: the policy document (JSON, written by the caller as it is)
    KEYS[2]   string: the policy's version (absent = no policy stored, version 0)
    KEYS[3]   stream: the audit log
    (all three in one hash slot under Redis Cluster)

    ARGV[1]   the version the change is based on (0 when none is stored yet)
    ARGV[2]   the new document
    ARGV[3]   the audit log's approximate cap, in entries (XADD MAXLEN ~)
    ARGV[4..] the audit entry's fields and values, in pairs

  Output: { 1, new version } when written (the version grows by one);
          { 0, current version } when the stored version is not ARGV[1] (nothing written).
]]

local current = tonumber(redis.call("GET", KEYS[2]) or "0")
if current ~= tonumber(ARGV[1]) then return { 0, current } end

local version = current + 1
redis.call("SET", KEYS[1], ARGV[2])
redis.call("SET", KEYS[2], version)
redis.call("XADD", KEYS[3], "MAXLEN", "~", ARGV[3], "*", unpack(ARGV, 4))
return { 1, version }
