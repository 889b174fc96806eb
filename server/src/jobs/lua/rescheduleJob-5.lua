--[[
  Moves a job that has not started to a new time, atomically with respect to the workers: a
  waiting job leaves the wait list, a scheduled one its place in the delayed set, and it is
  added to the delayed set at the new time, as BullMQ's own changeDelay does for delayed jobs
  (same score layout, delay marker and `delayed` event), so it runs then and never at the old
  time. A job a worker holds (active), one waiting for a retry, or one that finished is left as
  it is.

  Input:
    KEYS[1]   the job's hash (bull:<queue>:<id>)
    KEYS[2]   the queue's wait list
    KEYS[3]   the queue's delayed set
    KEYS[4]   the queue's marker (BullMQ's workers block on it)
    KEYS[5]   the queue's event stream
    (all in the queue's hash slot: BullMQ's prefix carries a hash tag on a cluster)

    ARGV[1]   the job id
    ARGV[2]   the new time, ms since the epoch
    ARGV[3]   the delay to record, ms (new time - now)

  Output:
     1  moved
    -1  no such job
    -2  the job waits for a retry (waiting or delayed with attempts made): not movable
    -3  neither waiting nor delayed (active, finished, dead)

  Writes: the delayed set, the job's `delay` and `tgScheduledFor` (what the status reports; BullMQ
  ignores fields it does not know), the marker and one event.
]]
local rcall = redis.call
local jobKey, jobId = KEYS[1], ARGV[1]

if rcall("EXISTS", jobKey) == 0 then return -1 end
local delayed = rcall("ZSCORE", KEYS[3], jobId)
if not delayed and not rcall("LPOS", KEYS[2], jobId) then return -3 end
-- Waiting or delayed after a failed attempt: a retry, which the backoff owns.
if tonumber(rcall("HGET", jobKey, "atm") or "0") > 0 then return -2 end

if delayed then rcall("ZREM", KEYS[3], jobId) else rcall("LREM", KEYS[2], 0, jobId) end

-- BullMQ's delayed score: the time in ms times 4096 plus a counter, so jobs due in the same
-- millisecond keep their order (getDelayedScore in BullMQ's includes).
local at = tonumber(ARGV[2])
local minScore = at * 0x1000
local maxScore = (at + 1) * 0x1000 - 1
local score = minScore
local last = rcall("ZREVRANGEBYSCORE", KEYS[3], maxScore, minScore, "WITHSCORES", "LIMIT", 0, 1)
if last[2] then score = math.min(tonumber(last[2]) + 1, maxScore) end

rcall("ZADD", KEYS[3], score, jobId)
rcall("HSET", jobKey, "delay", ARGV[3], "tgScheduledFor", ARGV[2])

-- The marker holds the next delayed time, so a blocked worker wakes when it is due.
local nextDue = rcall("ZRANGE", KEYS[3], 0, 0, "WITHSCORES")
if nextDue[2] then rcall("ZADD", KEYS[4], math.floor(tonumber(nextDue[2]) / 0x1000), "1") end

rcall("XADD", KEYS[5], "MAXLEN", "~", 10000, "*", "event", "delayed", "jobId", jobId, "delay", ARGV[2])
return 1
