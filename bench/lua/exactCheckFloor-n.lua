--[[
  Benchmark only, NOT a usable rate limiter: the least work an exact multi-rule sliding-window
  check in sorted sets must do, to show where the floor is (bench/limiter.ts).

  Per call it reads the Redis clock once and, for each rule, reads the rule's count (ZCARD)
  and, if every rule has room, records the request (ZADD, one member per request). It leaves
  out everything else Taskgate's slidingWindow-n.lua must also do to be correct and to answer
  the contract: removing entries that left the window (without that the count is not the
  window's), the TTL that lets an idle key go, the oldest entry behind resetMs, and the
  per-rule retryAfterMs. So Taskgate's check can never be cheaper than this.

  Input (n = number of keys, passed by the caller), laid out as slidingWindow-n.lua's:
    KEYS[i]        sorted set of rule i
    ARGV[1]        member id, unique per request
    ARGV[3i - 1]   limit of rule i; ARGV[3i] and ARGV[3i + 1] (windowMs, cost) are ignored

  Output: { admitted (1/0), count of rule 1, ..., count of rule n } (counts before this request)
]]
local time = redis.call("TIME")
local score = time[1] .. string.sub("000000", #time[2] + 1) .. time[2]
local member = score .. ":" .. ARGV[1]
local out = { 1 }
for i = 1, #KEYS do
  local count = redis.call("ZCARD", KEYS[i])
  if count + 1 > ARGV[3 * i - 1] + 0 then out[1] = 0 end
  out[i + 1] = count
end
if out[1] == 1 then
  for i = 1, #KEYS do redis.call("ZADD", KEYS[i], score, member) end
end
return out
