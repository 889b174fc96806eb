--[[
  Included piece (`--- @include`), not a script: the Redis clock in milliseconds, shared by the
  server's and the worker's scripts so every process agrees on when a lease ends, whatever its
  own clock says.

  redisNowMs()
    Returns: whole milliseconds since the epoch by the Redis clock (TIME), microseconds cut off
    (an integer; exact in a double for centuries).

  Redis >= 5 replicates a script's effects, not the script, so reading TIME before writing is
  allowed.
]]
local function redisNowMs()
  local time = redis.call("TIME")
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
