--[[
  Claims a job's effect (e.g. sending its email) before running it, or says why it must not run.

  Input:
    KEYS[1]  effect record key (hash), e.g. tg:effect:<queue>:<jobId>

    ARGV[1]  owner token of this execution (unique per run of the job, never the job id)
    ARGV[2]  leaseMs: how long this owner excludes others without renewing (ms)
    ARGV[3]  ttlMs: lifetime of the record (ms); set on create and take-over

  Output (array):
    { "claimed", claims }         run the effect: no record existed (claims = 1), or this owner
                                  already held it (re-entrant; the lease is refreshed)
    { "reclaimed", claims }       run the effect again WITH THE SAME Message-ID: the previous
                                  owner's lease ran out before it marked the effect done (it
                                  died mid-send, or just before the done mark); claims >= 2
    { "done", resultJson }        do not run: the effect happened; resultJson is what the owner
                                  that ran it stored
    { "busy", retryAfterMs }      do not run now: another owner holds a live lease that ends in
                                  retryAfterMs (>= 1)

  Hash fields: state ("claimed" | "done"), owner, leaseUntil (ms, Redis clock; only while
  claimed), claims (how many owners have claimed it), result (JSON, only when done).
]]
--- @include "../../../../shared/src/lua/redisNowMs.lua"
--- @include "./includes/claimEffect.lua"

-- The Redis clock, so every worker agrees on when a lease ends.
return claimEffect(KEYS[1], ARGV[1], redisNowMs(), tonumber(ARGV[2]), tonumber(ARGV[3]))
