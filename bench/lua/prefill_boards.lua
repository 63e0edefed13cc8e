-- Fills ARGV[1] sorted sets bench:{k} with members m:0..ARGV[1]-1 (names as redis-benchmark
-- writes them) and spread-out scores, 500 members per ZADD.
local n = tonumber(ARGV[1])
for k = 0, n - 1 do
  local key = string.format('bench:{%012d}', k)
  local args = {}
  for m = 0, n - 1 do
    args[#args + 1] = (m * 7919 + k * 104729) % 100003
    args[#args + 1] = string.format('m:%012d', m)
    if #args == 1000 or m == n - 1 then
      redis.call('ZADD', key, unpack(args))
      args = {}
    end
  end
end
return redis.call('DBSIZE')
