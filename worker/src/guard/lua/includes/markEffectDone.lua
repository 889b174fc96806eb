--[[
  Included piece (`--- @include`), not a script: the done mark of one effect record, the whole
  logic of effectDone-1.lua, which effectBatch-n.lua runs once per done mark in its call. Why
  the owner need not still hold the lease: see effectDone-1.lua's header.

  markEffectDone(key, owner, resultJson, ttlMs)
    key         effect record key (hash)
    owner       owner token that ran the effect
    resultJson  result JSON, returned to every later claim
    ttlMs       how long the done record is kept (ms); at least as long as completed jobs

  Returns:
    1  the record is now "done" with this owner's result (or this owner had already marked it)
    0  nothing changed: another owner had already marked it done (its result is kept)
]]
local function markEffectDone(key, owner, resultJson, ttlMs)
  local record = redis.call("HMGET", key, "state", "owner")
  if record[1] == "done" then
    if record[2] == owner then
      return 1
    end
    return 0
  end

  -- HSET keeps the claims counter, so the record still tells how many runs there were.
  redis.call("HSET", key, "state", "done", "owner", owner, "result", resultJson)
  redis.call("HDEL", key, "leaseUntil")
  redis.call("PEXPIRE", key, ttlMs)
  return 1
end
