--[[
  Claims an idempotency record for one attempt, or says why the attempt may not run.

  Input:
    KEYS[1]  record key (hash), e.g. tg:idem:<scope>:<route>:<sha256 of key>

    ARGV[1]  fingerprint: SHA-256 hex of the canonical request body
    ARGV[2]  fresh record id (random, from Node); used only when a new record starts
    ARGV[3]  owner token of this attempt (random, from Node)
    ARGV[4]  leaseMs: how long this attempt owns the record before another may take over (ms)
    ARGV[5]  ttlMs: lifetime of the record (ms)

  Output (array):
    { "claimed", recordId }        this attempt owns the record; derive the job id from recordId
    { "replay", status, body }     a finished attempt stored this response (status is an integer)
    { "in_use", retryAfterMs }     another attempt holds a live lease; it ends in retryAfterMs (>= 1)
    { "mismatch" }                 the key was used with a different body

  Hash fields: state ("in_flight" | "done" | "released"), recordId, fingerprint, token,
  leaseUntil (ms, Redis clock), status, body.
]]
--- @include "../../../../shared/src/lua/redisNowMs.lua"

local key = KEYS[1]
local fingerprint = ARGV[1]
local freshRecordId = ARGV[2]
local token = ARGV[3]
local leaseMs = tonumber(ARGV[4])
local ttlMs = tonumber(ARGV[5])

-- The Redis clock, so every API process agrees on when a lease ends.
local nowMs = redisNowMs()

local function claim(recordId)
  redis.call("HSET", key, "state", "in_flight", "recordId", recordId, "fingerprint", fingerprint,
    "token", token, "leaseUntil", string.format("%d", nowMs + leaseMs))
  -- Every claim starts an attempt whose response will be kept for ttlMs, so the record must not
  -- expire under a running attempt (complete would then find nothing to store into).
  redis.call("PEXPIRE", key, ttlMs)
  return { "claimed", recordId }
end

-- HGETALL, not HMGET of the four fields read here: most claims find no record, and HGETALL of
-- a missing key is one argument and an empty reply where HMGET is five arguments and four nils
-- (each costs Redis about as much as the Lua around it; rateLimit/lua/slidingWindow-n.lua's
-- cost model). A record holds seven fields at most, the stored body among them.
local record = redis.call("HGETALL", key)
local fields = {}
for i = 1, #record, 2 do fields[record[i]] = record[i + 1] end
local state, recordId, storedFingerprint, leaseUntil = fields.state, fields.recordId, fields.fingerprint, fields.leaseUntil

if not state or not recordId then
  -- No record, or a torn one (which no script writes): start from a clean hash. Only a torn one
  -- has anything to delete, which skips a call on every fresh claim.
  if #record > 0 then redis.call("DEL", key) end
  return claim(freshRecordId)
end

if state == "released" then
  if storedFingerprint == fingerprint then
    -- A failed attempt may still have enqueued (ambiguous failure): keep the record id so the
    -- job id is the same and BullMQ returns the existing job instead of adding a second one.
    return claim(recordId)
  end
  -- The failed attempt stored nothing, so the client may change its request; a new record id
  -- keeps a job that attempt may have enqueued from being mistaken for this request's job.
  return claim(freshRecordId)
end

if storedFingerprint ~= fingerprint then
  return { "mismatch" }
end

if state == "done" then
  return { "replay", tonumber(fields.status), fields.body }
end

-- state == "in_flight"
local remainingMs = (tonumber(leaseUntil) or 0) - nowMs
if remainingMs > 0 then
  return { "in_use", remainingMs }
end
-- The owner's lease ran out (its process died between steps): take over with a new token but
-- the same record id, so a job it enqueued already is found again, not added twice.
return claim(recordId)
