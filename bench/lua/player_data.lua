-- Gives players m:0..ARGV[1]-1 (12 digits) member data in the hash KEYS[1], as TOURNEY.SUBMIT ... DATA
-- would store it beside their leaderboard: a 25-byte JSON name each, 500 fields per HSET.
local n = tonumber(ARGV[1])
local args = {}
for m = 0, n - 1 do
  args[#args + 1] = string.format('m:%012d', m)
  args[#args + 1] = string.format('{"name":"Player %06d"}', m)
  if #args == 1000 or m == n - 1 then
    redis.call('HSET', KEYS[1], unpack(args))
    args = {}
  end
end
return redis.call('HLEN', KEYS[1])
