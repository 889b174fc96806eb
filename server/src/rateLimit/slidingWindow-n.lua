--[[
  Exact sliding-window rate limit: checks every rule that matches one request and, only if all
  of them admit it, records it in all of them. One call per request, whatever the rule count.

  A rule admits iff (cost it admitted in (now - windowMs, now]) + cost <= limit, where now is
  the Redis clock (TIME). Each rule key is a sorted set with one member per cost unit
  (a request of cost c adds c members), scored by admission time in integer microseconds,
  so ZCOUNT is the exact admitted cost and rank arithmetic finds when cost leaves the window.

  Input (n = number of keys, passed by the caller):
    KEYS[i]        sorted set of rule i for this request's identity, e.g. tg:rl:<rule>:<identity>
                   (i = 1..n; all keys must live in one hash slot under Redis Cluster)

    ARGV[1]        member id, unique per request; members are ARGV[1] (cost 1) or
                   ARGV[1]..":"..j for j = 1..cost
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

  Writes: only when admitted (ZREMRANGEBYSCORE of expired entries, ZADD, PEXPIRE windowMs).
  A denial writes nothing, so hammering while denied neither grows a set nor extends the wait.
]]

-- Redis >= 5 replicates a script's effects, not the script, so reading TIME before writing is
-- allowed. Microseconds since the epoch stay exact in a double (< 2^53) for centuries.
local time = redis.call("TIME")
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
-- Scores go to Redis as "%d" strings: Lua's tostring keeps only 14 significant digits.
local nowScore = string.format("%d", nowUs)

local id = ARGV[1]
local n = #KEYS
local admitted = 1

-- Per rule, kept between the check and the write phase.
local limits, windowsMs, costs, cutoffs, used, resets, retries, allows = {}, {}, {}, {}, {}, {}, {}, {}

-- ms (rounded up) until an entry scored `score` leaves a window of windowUs that ends now.
local function msUntilLeaves(score, windowUs)
  return math.ceil((tonumber(score) + windowUs - nowUs) / 1000)
end

for i = 1, n do
  local key = KEYS[i]
  local a = 3 * i - 1
  local limit, windowMs, cost = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local windowUs = windowMs * 1000
  local cutoff = string.format("%d", nowUs - windowUs)
  -- Entries scored <= cutoff are outside the window; they are trimmed only on admission.
  local inWindow = redis.call("ZCOUNT", key, "(" .. cutoff, "+inf")
  local reset, retry, allow = 0, 0, 1
  if inWindow > 0 then
    local oldest = redis.call("ZRANGE", key, "(" .. cutoff, "+inf", "BYSCORE", "LIMIT", 0, 1, "WITHSCORES")
    reset = msUntilLeaves(oldest[2], windowUs)
  end
  if inWindow + cost > limit then
    admitted, allow = 0, 0
    -- Enough must leave for the request to fit: the `need`-th oldest entry in the window is the
    -- last one that has to go. Ranks count from the oldest stale entry, hence the offset.
    local need = inWindow + cost - limit
    if need <= inWindow then
      local stale = redis.call("ZCARD", key) - inWindow
      local last = redis.call("ZRANGE", key, stale + need - 1, stale + need - 1, "WITHSCORES")
      retry = msUntilLeaves(last[2], windowUs)
    else
      -- cost > limit: never admissible (the config schema forbids it); say "a whole window".
      retry = windowMs
    end
  end
  limits[i], windowsMs[i], costs[i], cutoffs[i] = limit, windowMs, cost, cutoff
  used[i], resets[i], retries[i], allows[i] = inWindow, reset, retry, allow
end

local out = { admitted }
for i = 1, n do
  -- max(0, ..): a lowered limit can leave more counted than it now allows.
  local remaining = math.max(0, limits[i] - used[i])
  local reset = resets[i]
  if admitted == 1 then
    local key = KEYS[i]
    redis.call("ZREMRANGEBYSCORE", key, "-inf", cutoffs[i])
    local cost = costs[i]
    if cost == 1 then
      redis.call("ZADD", key, nowScore, id)
    else
      -- In batches, so a large cost stays under Lua's unpack limit.
      local j = 1
      while j <= cost do
        local args = {}
        for k = j, math.min(cost, j + 199) do
          args[#args + 1] = nowScore
          args[#args + 1] = id .. ":" .. k
        end
        redis.call("ZADD", key, unpack(args))
        j = j + 200
      end
    end
    -- Every entry has left the window windowMs after the newest one: the key can go then.
    redis.call("PEXPIRE", key, windowsMs[i])
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
