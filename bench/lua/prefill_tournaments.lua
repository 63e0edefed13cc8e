-- Makes the ARGV[1] leaderboards of prefill_boards.lua, already in this database, tournaments
-- created ORDER ARGV[2] (desc or asc).
local n = tonumber(ARGV[1])
for k = 0, n - 1 do
  redis.call('TOURNEY.CREATE', string.format('bench:{%012d}', k), 'ORDER', ARGV[2])
end
return redis.call('DBSIZE')
