--[[
  Lets go of an idempotency record after a failed attempt (validation error, 429, 5xx), so the
  same key can be used again at once. The record id and fingerprint stay: a retry with the same
  body gets the same record id (and so the same job id) in case the failed attempt enqueued.

  Input:
    KEYS[1]  record key (hash)

    ARGV[1]  owner token returned by the claim

  Output:
    1  released
    0  nothing done: the token no longer owns the record
]]
local key = KEYS[1]

local record = redis.call("HMGET", key, "state", "token")
if record[1] ~= "in_flight" or record[2] ~= ARGV[1] then
  return 0
end

-- HSET and HDEL leave the TTL alone: a released record still expires when the claim said.
redis.call("HSET", key, "state", "released")
redis.call("HDEL", key, "token", "leaseUntil")
return 1
