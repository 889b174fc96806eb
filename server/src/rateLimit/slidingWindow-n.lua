--[[
  Exact sliding-window rate limit: checks every rule that matches one request and, only if all
  of them admit it, records it in all of them. One call per request, whatever the rule count.

  A rule admits iff (cost it admitted in (now - windowMs, now]) + cost <= limit, where now is
  the Redis clock (TIME). Each rule key is a sorted set with one member per cost unit
  (a request of cost c adds c members), scored by admission time in integer microseconds,
  so after trimming, ZCARD is the exact admitted cost and rank arithmetic finds when enough
  cost leaves the window. Members start with their score ("<us>:<id>[:<unit>]") because
  reading a member is about twice as fast as reading a score (no double formatting).

  Input (n = number of keys, passed by the caller):
    KEYS[i]        sorted set of rule i for this request's identity, e.g. tg:rl:<rule>:<identity>
                   (i = 1..n; all keys must live in one hash slot under Redis Cluster)

    ARGV[1]        member id, unique per request; members are "<us>:"..ARGV[1] (cost 1)
                   or "<us>:"..ARGV[1]..":"..j for j = 1..cost
    ARGV[3i - 1]   limit of rule i (cost units, >= 1)
    ARGV[3i]       windowMs of rule i (ms, >= 1)
    ARGV[3i + 1]   cost of this request under rule i (cost units, 1..limit)

  Output: a flat array of 1 + 4n integers
    [1]            1 = admitted and recorded in every rule; 0 = denied and recorded in none
    [4i - 2]       1 if rule i alone would admit the request, 0 if it denies it
    [4i - 1]       remaining: cost rule i can still admit in the window after this request
                   (the request counts only if it was admitted overall)
    [4i]           resetMs: ms until the oldest counted entry of rule i leaves the window
                   (windowMs if this request is the only one; 0 if nothing is counted)
    [4i + 1]       retryAfterMs: ms until enough cost has left rule i's window for this
                   request to pass it (0 when rule i admits; >= 1 otherwise)

  Writes: entries that left the window are trimmed (ZREMRANGEBYSCORE) on every call; only an
  admitted request adds members (ZADD) and refreshes the TTL (PEXPIRE windowMs). A denial is
  recorded nowhere, so hammering while denied neither grows a set nor extends the wait.
]]

-- Redis >= 5 replicates a script's effects, not the script, so reading TIME before writing is
-- allowed. Microseconds since the epoch stay exact in a double (< 2^53) for centuries.
local time = redis.call("TIME")
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
-- Scores go to Redis as "%d" strings: Lua's tostring keeps only 14 significant digits.
local nowScore = string.format("%d", nowUs)

local member = nowScore .. ":" .. ARGV[1]
local n = #KEYS
local admitted = 1

-- Per rule, kept between the check and the write phase.
local limits, windowsMs, windowArgs, costs, used, resets, retries, allows = {}, {}, {}, {}, {}, {}, {}, {}

-- ms (rounded up) until the entry at `rank` (0 = oldest) leaves a window of windowUs ending now.
-- Arguments go to redis.call as strings: Lua numbers would be formatted with sprintf.
local function msUntilLeaves(key, rank, windowUs)
  local entry = redis.call("ZRANGE", key, rank, rank)[1]
  local colon = string.find(entry, ":", 1, true)
  -- A member this script did not write (no "<us>:" prefix) still has its score.
  local scoreUs = colon and tonumber(string.sub(entry, 1, colon - 1)) or tonumber(redis.call("ZSCORE", key, entry))
  return math.ceil((scoreUs + windowUs - nowUs) / 1000)
end

for i = 1, n do
  local key = KEYS[i]
  local a = 3 * i - 1
  local limit, windowMs, cost = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  windowArgs[i] = ARGV[a + 1]
  local windowUs = windowMs * 1000
  -- Forget what left the window: (now - window, now] is what counts. This shrinks the set and
  -- never changes a decision, so it is the one write a denial may cause.
  redis.call("ZREMRANGEBYSCORE", key, "-inf", string.format("%d", nowUs - windowUs))
  local inWindow = redis.call("ZCARD", key)
  local reset, retry, allow = 0, 0, 1
  if inWindow > 0 then reset = msUntilLeaves(key, "0", windowUs) end
  if inWindow + cost > limit then
    admitted, allow = 0, 0
    -- Enough cost must leave for the request to fit: the need-th oldest entry is the last one
    -- that has to go. At cost 1 that is the oldest one, whose wait is already known.
    local need = inWindow + cost - limit
    if need > inWindow then
      -- cost > limit: never admissible (the config schema forbids it); say "a whole window".
      retry = windowMs
    elseif need == 1 then
      retry = reset
    else
      retry = msUntilLeaves(key, string.format("%d", need - 1), windowUs)
    end
  end
  limits[i], windowsMs[i], costs[i] = limit, windowMs, cost
  used[i], resets[i], retries[i], allows[i] = inWindow, reset, retry, allow
end

local out = { admitted }
for i = 1, n do
  -- max(0, ..): a lowered limit can leave more counted than it now allows.
  local remaining = math.max(0, limits[i] - used[i])
  local reset = resets[i]
  if admitted == 1 then
    local key = KEYS[i]
    local cost = costs[i]
    if cost == 1 then
      redis.call("ZADD", key, nowScore, member)
    else
      -- In batches, so a large cost stays under Lua's unpack limit.
      local j = 1
      while j <= cost do
        local args = {}
        for k = j, math.min(cost, j + 199) do
          args[#args + 1] = nowScore
          args[#args + 1] = member .. ":" .. k
        end
        redis.call("ZADD", key, unpack(args))
        j = j + 200
      end
    end
    -- Every entry has left the window windowMs after the newest one: the key can go then.
    redis.call("PEXPIRE", key, windowArgs[i])
    remaining = remaining - cost
    if used[i] == 0 then reset = windowsMs[i] end
  end
  local base = 4 * i - 2
  out[base] = allows[i]
  out[base + 1] = remaining
  out[base + 2] = reset
  out[base + 3] = retries[i]
end
return out
