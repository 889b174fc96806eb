--[[
  Runs several execution-guard claims and done marks, each on its own effect record, in one
  call: the claims and done marks that concurrent jobs issue in the same event-loop turn. Each
  operation runs exactly the logic of its single-operation script (effectClaim-1.lua,
  effectDone-1.lua; keep the three in step, worker/test/guard/effectBatch.test.ts compares
  them), one after the other in the order given, so two operations on the same key see each
  other's writes as two single calls sent in that order would.

  Input (n = number of keys, passed by the caller; n >= 1):
    KEYS[i]        effect record key (hash) of operation i, e.g. tg:effect:<queue>:<jobId>
                   (i = 1..n; under Redis Cluster all keys must live in one hash slot, so the
                   caller only batches on a single Redis)

    ARGV[1]        leaseMs: how long a claim excludes other owners without renewing (ms)
    ARGV[2]        ttlMs: lifetime of a record (ms); set on create, take-over and done mark
    ARGV[3i]       operation i: "claim" or "done"
    ARGV[3i + 1]   owner token of operation i (unique per run of the job, never the job id)
    ARGV[3i + 2]   result JSON of a "done" operation (returned to every later claim); ignored,
                   and sent as "", for a "claim"

  Output: an array of n replies, reply i being what the single script returns for operation i:
    "claim"  { "claimed", claims } | { "reclaimed", claims } | { "done", resultJson }
             | { "busy", retryAfterMs }                   (see effectClaim-1.lua)
    "done"   1 (this owner's done mark is recorded) | 0 (another owner's is)
                                                         (see effectDone-1.lua)

  Clock: claims read the Redis clock (TIME) once per call, when the first claim runs; the whole
  call runs atomically, so every claim in it sees the same now, as back-to-back single calls
  would see nearly the same one.

  Errors: an unknown operation name fails the whole call before anything is written. A Redis
  error inside an operation (e.g. WRONGTYPE: a key that is not a hash, which nothing writes)
  fails the whole call; operations before it stay applied, as a single call whose reply was
  lost may have been.
]]
local leaseMs = tonumber(ARGV[1])
local ttlMs = tonumber(ARGV[2])
local n = #KEYS

for i = 1, n do
  local op = ARGV[3 * i]
  if op ~= "claim" and op ~= "done" then
    return redis.error_reply("ERR effectBatch: operation " .. i .. " is " .. tostring(op) .. ", not claim or done")
  end
end

local nowMs, leaseUntil

-- effectClaim-1.lua, for one key (comments there).
local function claim(key, owner)
  if not nowMs then
    local time = redis.call("TIME")
    nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    leaseUntil = string.format("%d", nowMs + leaseMs)
  end

  local record = redis.call("HMGET", key, "state", "owner", "leaseUntil", "claims", "result")
  local state, holder, heldUntil, claims, result = record[1], record[2], record[3], record[4], record[5]

  if state == "done" then
    return { "done", result or "null" }
  end

  if state ~= "claimed" or not holder then
    redis.call("DEL", key)
    redis.call("HSET", key, "state", "claimed", "owner", owner, "leaseUntil", leaseUntil, "claims", 1)
    redis.call("PEXPIRE", key, ttlMs)
    return { "claimed", 1 }
  end

  if holder == owner then
    redis.call("HSET", key, "leaseUntil", leaseUntil)
    return { "claimed", tonumber(claims) or 1 }
  end

  local remainingMs = (tonumber(heldUntil) or 0) - nowMs
  if remainingMs > 0 then
    return { "busy", remainingMs }
  end

  local newClaims = redis.call("HINCRBY", key, "claims", 1)
  redis.call("HSET", key, "owner", owner, "leaseUntil", leaseUntil)
  redis.call("PEXPIRE", key, ttlMs)
  return { "reclaimed", newClaims }
end

-- effectDone-1.lua, for one key (comments there).
local function done(key, owner, resultJson)
  local record = redis.call("HMGET", key, "state", "owner")
  if record[1] == "done" then
    if record[2] == owner then
      return 1
    end
    return 0
  end

  redis.call("HSET", key, "state", "done", "owner", owner, "result", resultJson)
  redis.call("HDEL", key, "leaseUntil")
  redis.call("PEXPIRE", key, ttlMs)
  return 1
end

local replies = {}
for i = 1, n do
  if ARGV[3 * i] == "claim" then
    replies[i] = claim(KEYS[i], ARGV[3 * i + 1])
  else
    replies[i] = done(KEYS[i], ARGV[3 * i + 1], ARGV[3 * i + 2])
  end
end
return replies
