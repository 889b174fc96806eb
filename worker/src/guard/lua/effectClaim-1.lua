--[[
  Claims a job's effect (e.g. sending its email) before running it, or says why it must not run.

  Input:
    KEYS[1]  effect record key (hash), e.g. tg:effect:<queue>:<jobId>

    ARGV[1]  owner token of this execution (unique per run of the job, never the job id)
    ARGV[2]  leaseMs: how long this owner excludes others without renewing (ms)
    ARGV[3]  ttlMs: lifetime of the record (ms); set on create and take-over

  Output (array):
    { "claimed", claims }         run the effect: no record existed (claims = 1), or this owner
                                  already held it (re-entrant; the lease is refreshed)
    { "reclaimed", claims }       run the effect again WITH THE SAME Message-ID: the previous
                                  owner's lease ran out before it marked the effect done (it
                                  died mid-send, or just before the done mark); claims >= 2
    { "done", resultJson }        do not run: the effect happened; resultJson is what the owner
                                  that ran it stored
    { "busy", retryAfterMs }      do not run now: another owner holds a live lease that ends in
                                  retryAfterMs (>= 1)

  Hash fields: state ("claimed" | "done"), owner, leaseUntil (ms, Redis clock; only while
  claimed), claims (how many owners have claimed it), result (JSON, only when done).
]]
local key = KEYS[1]
local owner = ARGV[1]
local leaseMs = tonumber(ARGV[2])
local ttlMs = tonumber(ARGV[3])

-- The Redis clock, so every worker agrees on when a lease ends. (Redis >= 5 replicates a
-- script's effects, not the script, so reading TIME before writing is allowed.)
local time = redis.call("TIME")
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local leaseUntil = string.format("%d", nowMs + leaseMs)

local record = redis.call("HMGET", key, "state", "owner", "leaseUntil", "claims", "result")
local state, holder, heldUntil, claims, result = record[1], record[2], record[3], record[4], record[5]

if state == "done" then
  -- A done record without a result is never written; "null" keeps the reply's shape.
  return { "done", result or "null" }
end

if state ~= "claimed" or not holder then
  -- No record (or a torn one, which no script writes): start from a clean hash.
  redis.call("DEL", key)
  redis.call("HSET", key, "state", "claimed", "owner", owner, "leaseUntil", leaseUntil, "claims", 1)
  redis.call("PEXPIRE", key, ttlMs)
  return { "claimed", 1 }
end

if holder == owner then
  -- The same execution asking again (e.g. a retried call after a lost reply): it knows what it
  -- did, so it keeps the claim, live or expired, and gets a fresh lease.
  redis.call("HSET", key, "leaseUntil", leaseUntil)
  return { "claimed", tonumber(claims) or 1 }
end

local remainingMs = (tonumber(heldUntil) or 0) - nowMs
if remainingMs > 0 then
  return { "busy", remainingMs }
end

-- The holder's lease ran out without a done mark: it died (or hangs) somewhere between the claim
-- and the mark, so the effect may or may not have happened. Take over; the caller sends again
-- with the same Message-ID, which is the one documented window for a duplicate.
local newClaims = redis.call("HINCRBY", key, "claims", 1)
redis.call("HSET", key, "owner", owner, "leaseUntil", leaseUntil)
redis.call("PEXPIRE", key, ttlMs)
return { "reclaimed", newClaims }
