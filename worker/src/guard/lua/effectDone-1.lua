--[[
  Records that a job's effect happened (the SMTP server accepted the mail), so no later run
  sends it again.

  Input:
    KEYS[1]  effect record key (hash)

    ARGV[1]  owner token that ran the effect
    ARGV[2]  result JSON, returned to every later claim
    ARGV[3]  ttlMs: how long the done record is kept (ms); at least as long as completed jobs

  Output:
    1  the record is now "done" with this owner's result (or this owner had already marked it)
    0  nothing changed: another owner had already marked it done (its result is kept)

  The owner is deliberately NOT required to still hold the lease. This script is only called
  after the effect succeeded, so "done" is a fact, and dropping a fact only makes duplicates more
  likely. So it is accepted when:
    - the caller holds the claim (live or expired lease);
    - the caller's lease ran out and ANOTHER owner reclaimed it (the stale owner's mail was sent;
      marking done stops a third run, and stops the new holder's release from deleting the
      record and letting yet another run send). The new holder, already mid-send, cannot be
      stopped; its own done mark then returns 0;
    - there is no record (it was released by an owner that took over, or it expired).
]]
--- @include "./includes/markEffectDone.lua"

return markEffectDone(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]))
