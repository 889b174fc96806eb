--[[
  Lets go of a claim whose effect definitely did not happen (the SMTP server refused the
  connection, or rejected before DATA), so the job's retry can claim at once instead of waiting
  for the lease to run out.

  Input:
    KEYS[1]  effect record key (hash)

    ARGV[1]  owner token that holds the claim

  Output:
    1  released: the record is deleted
    0  nothing done: the record is done, gone, or held by another owner
]]
local record = redis.call("HMGET", KEYS[1], "state", "owner")
if record[1] ~= "claimed" or record[2] ~= ARGV[1] then
  return 0
end

redis.call("DEL", KEYS[1])
return 1
