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
  Members start with their score, "<us>:<id>" (cost 1) or "<us>:<id>:<j>" (j = 1..c), so the
  script reads times from the members it fetches, without asking for scores. A request that
  sets the key's TTL (below) writes "<us>!<id>[:<j>]" instead: "!" marks the entries the TTL
  was last set from.

  Input (n + 1 = number of keys, passed by the caller):
    KEYS[i]        sorted set of rule i for this request's identity,
                   <prefix>:rl:<rule>:<windowMs>:<identity> (i = 1..n; the window the rule is
                   checked with is part of the key, see TTL below; all keys must live in one
                   hash slot under Redis Cluster)
    KEYS[n + 1]    the stored policy's version (a string key; absent = no stored policy)

    ARGV[1]        member id, unique per request; "" = a peek: answer as a check would (the
                   request's cost against what each rule counts now) and write nothing, for
                   the RateLimit headers of an answer that is not charged (an idempotent replay)
    ARGV[2]        the policy version the caller's rules are from; "" = do not compare
    ARGV[3]        the rules, 25 bytes each, rule i at byte 25(i - 1) + 1, as struct ">dddB":
                     limit    (cost units, integer >= 0; an override's limit; 0 denies all)
                     windowMs (integer >= 1; the one in KEYS[i])
                     cost     (cost units, integer >= 1: the rule's fixed cost or the request's
                              recipients; above the limit rule i always denies it)
                     mode     (0 enforce, 1 shadow)
                   One argument rather than four per rule: each argument costs Redis about as
                   much to parse and hand to Lua as decoding the whole rule does.

  Output: when ARGV[2] is set and differs from the stored version: { -1, stored version or "" }
  (stale: nothing written; the caller reloads its policy and asks again). Else a flat array of
  integers, 1 + 3n of them when some rule would deny the request (the long form):
    [1]            1 = admitted (by every enforced rule) and recorded in every rule that admits
                   it; 0 = denied and recorded in none
    [3i - 1]       remaining: cost rule i can still admit in the window after this request
                   (the request counts only if it was admitted overall)
    [3i]           resetMs: ms until the oldest counted entry of rule i leaves the window
                   (windowMs if this request is the only one; 0 if nothing is counted)
    [3i + 1]       retryAfterMs: ms until enough cost has left rule i's window for this
                   request to pass it: 0 iff rule i alone would admit the request, >= 1 when it
                   denies it (a shadow rule: would deny)
  and 1 + 2n when every rule admits it (the short form: every retryAfterMs would be 0):
    [1] = 1, [2i] remaining and [2i + 1] resetMs of rule i, as above.

  Writes: only an admitted request writes, and a peek never does. Per rule (but a shadow rule that would deny) it
  removes the entries that have left the window (ZREMRANGEBYRANK: they are the lowest ranks),
  adds its members (ZADD) and, when the TTL rule below says so, sets the TTL. A denial writes
  nothing at all, so hammering while denied neither grows a set nor extends the wait.

  TTL: set (PEXPIREAT, from TIME, to 2 windows after this request) only by an admission that
  finds nothing counted (a new set, or every entry gone), or removes two or more entries, or
  removes a "!" entry; its own entries then carry the "!". Why that is enough: let T be the
  last time the TTL was set, so the key lasts until T + 2 windows. The "!" entries written at T
  stay until an admission removes them, and that admission sets the TTL again (it removes a "!"
  entry, or two or more). So an admission at t >= T + window, which finds them left, always
  sets the TTL; every other one adds entries at t < T + window, which have left the window
  before T + 2 windows. The key never goes while it holds an entry that still counts. With one
  window instead of two, an entry added at T + window / 2 would still count when the key went.
  This needs a fixed window per key: checked with a longer one, a set would hold entries the
  TTL does not cover. Hence the window in the key: a changed window starts a fresh set.

  Cost model (Redis 7.0, instructions per call counted with callgrind, request I/O included):
  a redis.call costs 3-5k instructions before the command does any work (PEXPIRE about 7k in
  all), and every argument of the script or of a call, and every element of a reply, about
  0.7k: far more than the Lua around them. Hence one argument for all rules, the short reply,
  and no TTL write on most admissions. Per rule, the common path is ZRANGE 0 0 (the oldest
  entry: resetMs, and whether anything has left), ZCARD (the exact count) and, if
  admitted, ZADD. Measured for 3 rules admitted into 20 000-entry sets: about 115k (before the
  TTL rule: 174k), against about 87k for the least any exact check must do (TIME + ZCARD + ZADD
  per rule, bench/lua/exactCheckFloor-n.lua). An entry having left adds ZRANGE 1 1 (has the
  second oldest too?) and ZREMRANGEBYRANK, and PEXPIREAT about once a window: a rule under
  steady traffic removes about one entry per admission. After a quiet spell (two or more have
  left) ZCOUNT counts what is still in and ZRANGE finds its oldest. A request of cost c adds
  its c members with one ZADD per 200 (O(c log n)). A denial adds a ZRANGE for the wait when
  more than one unit has to leave. Then come parsing and allocation: s + 0 runs glibc strtod
  once (~1k instructions; tonumber twice), a Lua library call (string.sub, struct.unpack,
  math.ceil) 0.5-2k, a new table about 1k, so the common path calls as few as it can.
]]

local call, sub, byte, format, unpackRule = redis.call, string.sub, string.byte, string.format, struct.unpack
local keys, argv = KEYS, ARGV

-- Redis >= 5 replicates a script's effects, not the script, so reading TIME before writing is
-- allowed. Microseconds since the epoch stay exact in a double (< 2^53) for centuries. The
-- score is built as a string from TIME's two fields (Lua's tostring keeps only 14 digits).
local n = #keys - 1
local rules = argv[3]
if #rules ~= 25 * n then return redis.error_reply("slidingWindow: ARGV[3] must hold 25 bytes per rule key") end
if argv[2] ~= "" then
  local stored = call("GET", keys[n + 1]) or ""
  if stored ~= argv[2] then return { -1, stored } end
end

local time = call("TIME")
local micros = time[2]
if #micros < 6 then micros = sub("000000", #micros + 1) .. micros end
local nowScore = time[1] .. micros
local nowUs = nowScore + 0

-- The short reply, sized up front for up to four rules (growing a Lua table reallocates it at
-- every power of two); the unused tail is cut below by a nil, which ends the array Redis returns.
local out = { 1, 0, 0, 0, 0, 0, 0, 0, 0 }
-- Made only when needed, per rule i: retries[i] its retryAfterMs when it would deny;
-- trims[i] how many of its oldest entries have left the window; refresh[i] its windowMs when
-- an admission must set the TTL; costs[i] a cost above 1.
local retries, trims, refresh, costs

-- An entry's time in µs is its first 16 digits ("<us>:..." or "<us>!...", until the year 2286):
-- sub(entry, 1, 16) + 0. Only this script writes these sets (the window in their key made them
-- new with this member format), so a member without that prefix fails the script rather than
-- miscounts.

for i = 1, n do
  local key = keys[i]
  local limit, windowMs, cost, mode = unpackRule(">dddB", rules, 25 * i - 24)
  local windowUs = windowMs * 1000
  -- Entries at or before the cutoff have left the window: (now - window, now] is what counts.
  local cutoffUs = nowUs - windowUs

  -- The oldest entry gives resetMs; once it has left the window it is the first to remove
  -- (usually none or one per admitted request).
  local total, expired, oldestUs, marked = 0, 0, nil, false
  local head = call("ZRANGE", key, "0", "0")[1]
  if head then
    total = call("ZCARD", key)
    oldestUs = sub(head, 1, 16) + 0
    if oldestUs <= cutoffUs then
      expired, oldestUs, marked = 1, nil, byte(head, 17) == 33
      if total > 1 then
        oldestUs = sub(call("ZRANGE", key, "1", "1")[1], 1, 16) + 0
        if oldestUs <= cutoffUs then
          -- More have left (a quiet spell): count what is still in the window.
          local live = call("ZCOUNT", key, "(" .. format("%d", cutoffUs), "+inf")
          expired, oldestUs = total - live, nil
          if live > 0 then oldestUs = sub(call("ZRANGE", key, expired, expired)[1], 1, 16) + 0 end
        end
      end
    end
  end
  local inWindow = total - expired

  local reset = 0
  if inWindow > 0 then
    -- ceil(d / 1000) for d > 0, without calling math.ceil.
    local d = oldestUs + windowUs - nowUs + 999
    reset = (d - d % 1000) / 1000
  end
  if inWindow + cost > limit then
    if mode == 0 then out[1] = 0 end
    -- Enough cost must leave for the request to fit: the need-th oldest entry in the window
    -- is the last one that has to go. At cost 1 that is the oldest one, whose wait is known.
    local need, retry = inWindow + cost - limit, nil
    if need > inWindow then
      -- cost > limit (a mail with more recipients than the limit): never admissible. No wait
      -- would do; say "a whole window", the longest any admissible request waits.
      retry = windowMs
    elseif need == 1 then
      retry = reset
    else
      local rank = expired + need - 1 -- 0-based, counting the expired entries still stored
      retry = math.ceil((sub(call("ZRANGE", key, rank, rank)[1], 1, 16) + windowUs - nowUs) / 1000)
    end
    retries = retries or {}
    retries[i] = retry
  end
  -- max(0, ..): a lowered limit can leave more counted than it now allows.
  local remaining = limit - inWindow
  if remaining < 0 then remaining = 0 end
  out[2 * i], out[2 * i + 1] = remaining, reset
  if expired > 0 then
    trims = trims or {}
    trims[i] = expired
  end
  -- See TTL in the header.
  if inWindow == 0 or expired > 1 or marked then
    refresh = refresh or {}
    refresh[i] = windowMs
  end
  if cost ~= 1 then
    costs = costs or {}
    costs[i] = cost
  end
end
out[2 * n + 2] = nil

if out[1] == 1 and argv[1] ~= "" then
  -- This request's member, made at most once in each form.
  local plainMember, markedMember
  for i = 1, n do
    -- A shadow rule that would deny records nothing, as it would not if enforced.
    if not (retries and retries[i]) then
      local key = keys[i]
      local expired = trims and trims[i]
      if expired then call("ZREMRANGEBYRANK", key, "0", expired - 1) end
      local window = refresh and refresh[i]
      local member
      if window then
        markedMember = markedMember or nowScore .. "!" .. argv[1]
        member = markedMember
      else
        plainMember = plainMember or nowScore .. ":" .. argv[1]
        member = plainMember
      end
      local cost = costs and costs[i] or 1
      if cost == 1 then
        call("ZADD", key, nowScore, member)
      else
        -- In batches, so a large cost stays under Lua's unpack limit.
        local j = 1
        while j <= cost do
          local args = {}
          for k = j, math.min(cost, j + 199) do
            args[#args + 1] = nowScore
            args[#args + 1] = member .. ":" .. k
          end
          call("ZADD", key, unpack(args))
          j = j + 200
        end
      end
      if window then
        -- The first ms after this request, plus two windows.
        call("PEXPIREAT", key, format("%d", (nowUs - nowUs % 1000) / 1000 + 1 + 2 * window))
        if out[2 * i + 1] == 0 then out[2 * i + 1] = window end
      end
      out[2 * i] = out[2 * i] - cost
    end
  end
end
if not retries then return out end
-- Some rule would deny: the long reply, with every rule's retryAfterMs.
local long = { out[1], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
for i = 1, n do
  long[3 * i - 1], long[3 * i], long[3 * i + 1] = out[2 * i], out[2 * i + 1], retries[i] or 0
end
long[3 * n + 2] = nil
return long
