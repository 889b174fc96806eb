--[[
  Exact sliding-window rate limit: checks every rule that matches one request and, only if all
  of its enforced rules admit it, records it in all of them. One call per request, whatever the
  rule count. Shadow rules are checked the same way but never deny: one records the request
  when it would admit it and the request is admitted, exactly what it would do if enforced.
  The caller's rules come from the stored policy; the call is refused (nothing read or written
  but the version) when the caller's policy version is not the stored one.

  A rule admits iff (cost it admitted in (now - windowMs, now]) + cost <= limit, where now is
  the Redis clock (TIME). Each rule key is a sorted set with one member per cost unit
  (a request of cost c adds c members), scored by admission time in integer microseconds.
  Members start with their score ("<us>:<id>[:<unit>]") so the script reads times from the
  members it fetches, without asking for scores.

  Input (n + 1 = number of keys, passed by the caller):
    KEYS[i]        sorted set of rule i for this request's identity, e.g. tg:rl:<rule>:<identity>
                   (i = 1..n; all keys must live in one hash slot under Redis Cluster)
    KEYS[n + 1]    the stored policy's version (a string key; absent = no stored policy)

    ARGV[1]        member id, unique per request; members are "<us>:"..ARGV[1] (cost 1)
                   or "<us>:"..ARGV[1]..":"..j for j = 1..cost
    ARGV[2]        the policy version the caller's rules are from; "" = do not compare
    ARGV[4i - 1]   limit of rule i (cost units, >= 0; an override's limit; 0 denies all)
    ARGV[4i]       windowMs of rule i (ms, >= 1)
    ARGV[4i + 1]   cost of this request under rule i (cost units, >= 1): the rule's fixed cost
                   or the request's recipients; above the limit rule i always denies it
    ARGV[4i + 2]   mode of rule i: "e" enforce, "s" shadow

  Output: when ARGV[2] is set and differs from the stored version: { -1, stored version or "" }
  (stale: nothing written; the caller reloads its policy and asks again). Else a flat array of
  1 + 4n integers
    [1]            1 = admitted (by every enforced rule) and recorded in every rule that admits
                   it; 0 = denied and recorded in none
    [4i - 2]       1 if rule i alone would admit the request, 0 if it denies it (a shadow rule:
                   would deny)
    [4i - 1]       remaining: cost rule i can still admit in the window after this request
                   (the request counts only if it was admitted overall)
    [4i]           resetMs: ms until the oldest counted entry of rule i leaves the window
                   (windowMs if this request is the only one; 0 if nothing is counted)
    [4i + 1]       retryAfterMs: ms until enough cost has left rule i's window for this
                   request to pass it (0 when rule i admits; >= 1 otherwise)

  Writes: only an admitted request writes. Per rule (but a shadow rule that would deny) it removes the entries that have left the
  window (ZREM, or ZREMRANGEBYSCORE when more than two have), adds its members (ZADD) and
  refreshes the TTL (PEXPIRE windowMs). A denial writes nothing at all, so hammering while
  denied neither grows a set nor extends the wait.

  Cost model (measured on Redis 7.0 with callgrind): a redis.call costs 3-5k instructions
  before the command does any work, far more than the Lua around it, so a rule's common path is
  ZRANGE 0 1 and ZCARD, plus ZADD and PEXPIRE (and ZREM when an entry has left) if admitted;
  ZCARD is skipped for sets of at most one entry. A request of cost c adds its c members with
  one ZADD per 200 (O(c log n)); once they have left the window, the next admitted request
  removes them with one ZREMRANGEBYSCORE (O(log n + c)). Next come number parsing and allocation:
  tonumber(s) runs glibc strtod twice (~1k instructions each) where s + 0 runs it once, hence
  the "+ 0" below; string.format and growing tables cost about as much.
]]

local match, sub = string.match, string.sub

-- Redis >= 5 replicates a script's effects, not the script, so reading TIME before writing is
-- allowed. Microseconds since the epoch stay exact in a double (< 2^53) for centuries. The
-- score is built as a string from TIME's two fields (Lua's tostring keeps only 14 digits).
local n = #KEYS - 1
if ARGV[2] ~= "" then
  local stored = redis.call("GET", KEYS[n + 1]) or ""
  if stored ~= ARGV[2] then return { -1, stored } end
end

local time = redis.call("TIME")
local micros = time[2]
local nowScore = time[1] .. sub("000000", #micros + 1) .. micros
local nowUs = nowScore + 0
local member = nowScore .. ":" .. ARGV[1]

-- Sized up front for up to four rules (growing a Lua table reallocates it at every power of
-- two); the unused tail is cut below by a nil, which ends the array Redis returns.
local out = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
-- Per rule that has entries to remove: [2i - 1] its fetched head, [2i] how many to remove
-- (more than the head holds: remove by score, up to the cutoff kept in [2i - 1] instead).
local trims

-- Time in µs of a fetched entry. A member this script did not write (no "<us>:" prefix)
-- still has its score.
local function usOf(key, entry)
  local digits = match(entry, "^(%d+):")
  if digits then return digits + 0 end
  return redis.call("ZSCORE", key, entry) + 0
end

for i = 1, n do
  local key = KEYS[i]
  local a = 4 * i - 1
  local limit, windowUs, cost = ARGV[a] + 0, ARGV[a + 1] * 1000, ARGV[a + 2]
  if cost == "1" then cost = 1 else cost = cost + 0 end
  -- Entries at or before the cutoff have left the window: (now - window, now] is what counts.
  local cutoffUs = nowUs - windowUs

  -- The two oldest entries: the first one still in the window gives resetMs, and those before
  -- it are the ones to remove (usually none or one per admitted request).
  local head = redis.call("ZRANGE", key, "0", "1")
  local got = #head
  local total = got
  if got == 2 then total = redis.call("ZCARD", key) end
  local expired, oldestUs = 0, nil
  if got > 0 then
    oldestUs = usOf(key, head[1])
    if oldestUs <= cutoffUs then
      expired, oldestUs = 1, nil
      if got == 2 then
        oldestUs = usOf(key, head[2])
        if oldestUs <= cutoffUs then expired, oldestUs = 2, nil end
      end
    end
  end
  local cutoff -- set when more than the fetched two have left
  if expired == 2 and total > 2 then
    -- More may have left (a quiet spell): count what is still in the window.
    cutoff = string.format("%d", cutoffUs)
    local live = redis.call("ZCOUNT", key, "(" .. cutoff, "+inf")
    expired = total - live
    if live > 0 then oldestUs = usOf(key, redis.call("ZRANGE", key, expired, expired)[1]) end
  end
  local inWindow = total - expired

  local base = 4 * i - 2
  local reset, retry = 0, 0
  if inWindow > 0 then reset = math.ceil((oldestUs + windowUs - nowUs) / 1000) end
  if inWindow + cost > limit then
    out[base] = 0
    if ARGV[a + 3] == "e" then out[1] = 0 end
    -- Enough cost must leave for the request to fit: the need-th oldest entry in the window
    -- is the last one that has to go. At cost 1 that is the oldest one, whose wait is known.
    local need = inWindow + cost - limit
    if need > inWindow then
      -- cost > limit (a mail with more recipients than the limit): never admissible. No wait
      -- would do; say "a whole window", the longest any admissible request waits.
      retry = windowUs / 1000
    elseif need == 1 then
      retry = reset
    else
      local rank = expired + need -- 1-based, counting the expired entries still stored
      local entry = rank <= got and head[rank] or redis.call("ZRANGE", key, rank - 1, rank - 1)[1]
      retry = math.ceil((usOf(key, entry) + windowUs - nowUs) / 1000)
    end
  else
    out[base] = 1
  end
  -- max(0, ..): a lowered limit can leave more counted than it now allows.
  local remaining = limit - inWindow
  if remaining < 0 then remaining = 0 end
  out[base + 1], out[base + 2], out[base + 3] = remaining, reset, retry
  if expired > 0 then
    trims = trims or {}
    trims[2 * i - 1], trims[2 * i] = expired <= 2 and head or cutoff, expired
  end
end
out[4 * n + 2] = nil

if out[1] == 1 then
  for i = 1, n do
    local key = KEYS[i]
    local a = 4 * i - 1
    local base = 4 * i - 2
    -- A shadow rule that would deny records nothing, as it would not if enforced.
    if out[base] == 1 then
      local expired = trims and trims[2 * i]
      if expired then
        if expired <= 2 then
          redis.call("ZREM", key, unpack(trims[2 * i - 1], 1, expired))
        else
          redis.call("ZREMRANGEBYSCORE", key, "-inf", trims[2 * i - 1])
        end
      end
      local cost = ARGV[a + 2]
      if cost == "1" then
        cost = 1
        redis.call("ZADD", key, nowScore, member)
      else
        -- In batches, so a large cost stays under Lua's unpack limit.
        cost = cost + 0
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
      local window = ARGV[a + 1]
      redis.call("PEXPIRE", key, window)
      out[base + 1] = out[base + 1] - cost
      if out[base + 2] == 0 then out[base + 2] = window + 0 end
    end
  end
end
return out
