-- The same leaderboards as prefill_boards.lua, as tournaments with TIEBREAK FIRST: each made with
-- TOURNEY.CREATE, then its players written one by one with TOURNEY.SUBMIT, which keeps the tie
-- structures (the arrival hash and the order set).
local n = tonumber(ARGV[1])
for k = 0, n - 1 do
  local key = string.format('bench:{%012d}', k)
  redis.call('TOURNEY.CREATE', key, 'TIEBREAK', 'FIRST')
  for m = 0, n - 1 do
    redis.call('TOURNEY.SUBMIT', key, string.format('m:%012d', m), (m * 7919 + k * 104729) % 100003)
  end
end
return redis.call('DBSIZE')
