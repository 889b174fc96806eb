--[[
  Included piece (`--- @include`), not a script: the claim of one effect record, the whole logic
  of effectClaim-1.lua, which effectBatch-n.lua runs once per claim in its call.

  claimEffect(key, owner, nowMs, leaseMs, ttlMs)
    key      effect record key (hash), e.g. tg:effect:<queue>:<jobId>
    owner    owner token of this execution (unique per run of the job, never the job id)
    nowMs    the Redis clock (ms), read by the caller: once per call, so every claim of a
             batch sees the same now
    leaseMs  how long this owner excludes others without renewing (ms)
    ttlMs    lifetime of the record (ms); set on create and take-over

  Returns the reply of effectClaim-1.lua (see its header):
    { "claimed", claims } | { "reclaimed", claims } | { "done", resultJson } | { "busy", retryAfterMs }

  Hash fields: state ("claimed" | "done"), owner, leaseUntil (ms, Redis clock; only while
  claimed), claims (how many owners have claimed it), result (JSON, only when done).
]]
local function claimEffect(key, owner, nowMs, leaseMs, ttlMs)
  local leaseUntil = string.format("%d", nowMs + leaseMs)

  local record = redis.call("HMGET", key, "state", "owner", "leaseUntil", "claims", "result")
  local state, holder, heldUntil, claims, result = record[1], record[2], record[3], record[4], record[5]

  if state == "done" then
    -- A done record without a result is never written; "null" keeps the reply's shape.
    return { "done", result or "null" }
  end

  if state ~= "claimed" or not holder then
    -- No record (or a torn one, which no script writes): start from a clean hash. The DEL is
    -- only needed for a torn one; skipping it for a missing record saves a call per fresh claim.
    if state or holder or heldUntil or claims or result then
      redis.call("DEL", key)
    end
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

  -- The holder's lease ran out without a done mark: it died (or hangs) somewhere between the
  -- claim and the mark, so the effect may or may not have happened. Take over; the caller sends
  -- again with the same Message-ID, which is the one documented window for a duplicate.
  local newClaims = redis.call("HINCRBY", key, "claims", 1)
  redis.call("HSET", key, "owner", owner, "leaseUntil", leaseUntil)
  redis.call("PEXPIRE", key, ttlMs)
  return { "reclaimed", newClaims }
end
