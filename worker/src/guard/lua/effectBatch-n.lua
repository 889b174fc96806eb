--[[
  Runs several execution-guard claims and done marks, each on its own effect record, in one
  call: the claims and done marks that concurrent jobs issue in the same event-loop turn. Each
  operation runs exactly the logic of its single-operation script (effectClaim-1.lua,
  effectDone-1.lua): all three call the same included pieces, includes/claimEffect.lua and
  includes/markEffectDone.lua (worker/test/guard/effectBatch.test.ts compares batch and single
  calls), one after the other in the order given, so two operations on the same key see each
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
--- @include "../../../../shared/src/lua/redisNowMs.lua"
--- @include "./includes/claimEffect.lua"
--- @include "./includes/markEffectDone.lua"

local leaseMs = tonumber(ARGV[1])
local ttlMs = tonumber(ARGV[2])
local n = #KEYS

for i = 1, n do
  local op = ARGV[3 * i]
  if op ~= "claim" and op ~= "done" then
    return redis.error_reply("ERR effectBatch: operation " .. i .. " is " .. tostring(op) .. ", not claim or done")
  end
end

-- Read when the first claim runs (a call of done marks only never asks for it).
local nowMs

local replies = {}
for i = 1, n do
  if ARGV[3 * i] == "claim" then
    nowMs = nowMs or redisNowMs()
    replies[i] = claimEffect(KEYS[i], ARGV[3 * i + 1], nowMs, leaseMs, ttlMs)
  else
    replies[i] = markEffectDone(KEYS[i], ARGV[3 * i + 1], ARGV[3 * i + 2], ttlMs)
  end
end
return replies
