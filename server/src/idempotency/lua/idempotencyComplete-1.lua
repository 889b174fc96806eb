--[[
  Stores the response of the attempt that owns an idempotency record.

  Input:
    KEYS[1]  record key (hash)

    ARGV[1]  owner token returned by the claim
    ARGV[2]  response status (integer)
    ARGV[3]  response body, already serialized by the caller
    ARGV[4]  ttlMs: how long the finished record is kept (ms)

  Output:
    1  stored: the record is "done" and replays this response
    0  not stored: the token no longer owns the record (the lease ran out and another attempt
       took over, or the record was released or expired)
]]
local key = KEYS[1]

local record = redis.call("HMGET", key, "state", "token")
if record[1] ~= "in_flight" or record[2] ~= ARGV[1] then
  return 0
end

redis.call("HSET", key, "state", "done", "status", ARGV[2], "body", ARGV[3])
-- The token and lease mean nothing once done; dropping them keeps an old token from matching.
redis.call("HDEL", key, "token", "leaseUntil")
redis.call("PEXPIRE", key, tonumber(ARGV[4]))
return 1
