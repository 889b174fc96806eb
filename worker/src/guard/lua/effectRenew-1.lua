--[[
  Extends the lease of a claim while a slow effect is in flight (the caller renews on a timer,
  every leaseMs / 3), so no other owner takes over a send that is still running.

  Input:
    KEYS[1]  effect record key (hash)

    ARGV[1]  owner token that holds the claim
    ARGV[2]  leaseMs: the lease now ends leaseMs from the Redis clock's now (ms)

  Output:
    1  renewed (also when this owner's lease had already run out but nobody took over)
    0  not renewed: the record is done, gone, or another owner took it over (the lease is lost)
]]
--- @include "../../../../shared/src/lua/redisNowMs.lua"

local key = KEYS[1]

local record = redis.call("HMGET", key, "state", "owner")
if record[1] ~= "claimed" or record[2] ~= ARGV[1] then
  return 0
end

redis.call("HSET", key, "leaseUntil", string.format("%d", redisNowMs() + tonumber(ARGV[2])))
return 1
