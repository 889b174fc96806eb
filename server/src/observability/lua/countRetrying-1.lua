--[[
  Counts the delayed jobs of one BullMQ queue that are waiting out a retry backoff (at least
  one attempt made) rather than a chosen time (scheduled). Reads at most ARGV[2] jobs, earliest
  due first, so a queue with a huge schedule cannot stall Redis; the rest count as scheduled.

  Input:
    KEYS[1]  the queue's delayed sorted set (`<bull prefix>:<queue>:delayed`)

    ARGV[1]  the queue's job key prefix (`<bull prefix>:<queue>:`); job hashes share KEYS[1]'s hash tag
    ARGV[2]  most delayed jobs examined

  Output:
    { retrying, examined }
]]
local ids = redis.call("ZRANGE", KEYS[1], 0, tonumber(ARGV[2]) - 1)
local retrying = 0
for _, id in ipairs(ids) do
  -- `atm` is BullMQ's attempts-made field; absent until the first failed attempt.
  local attempts = tonumber(redis.call("HGET", ARGV[1] .. id, "atm") or "0")
  if attempts ~= nil and attempts > 0 then
    retrying = retrying + 1
  end
end
return { retrying, #ids }
