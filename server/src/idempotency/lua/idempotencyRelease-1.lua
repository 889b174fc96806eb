--[[
  Lets go of an idempotency record after a failed attempt (429, 5xx), so the same key can be
  used again at once. Two ways:
  - forget: the attempt started the record and failed before anything could be enqueued (a 429,
    the limiter's 503): the record is deleted, so a refused request leaves nothing in Redis.
  - keep: the failure may have come after an enqueue (an ambiguous 5xx), or an earlier attempt
    may have: the record id and fingerprint stay, so a retry with the same body gets the same
    record id (and so the same job id) and BullMQ finds that job instead of adding a second.

  Input:
    KEYS[1]  record key (hash)

    ARGV[1]  owner token returned by the claim
    ARGV[2]  "forget" to delete the record, anything else to keep it as released

  Output:
    1  released (or deleted)
    0  nothing done: the token no longer owns the record
]]
local key = KEYS[1]

local record = redis.call("HMGET", key, "state", "token")
if record[1] ~= "in_flight" or record[2] ~= ARGV[1] then
  return 0
end

if ARGV[2] == "forget" then
  redis.call("DEL", key)
  return 1
end

-- HSET and HDEL leave the TTL alone: a released record still expires when the claim said.
redis.call("HSET", key, "state", "released")
redis.call("HDEL", key, "token", "leaseUntil")
return 1
