-- Gives the semaphores <prefix>:{k}, k = 0..ARGV[1]-1, for each prefix in ARGV[4..], ARGV[2] leases
-- of other workers (tokens held:1, held:2, ...) that end ARGV[3] ms from the server's clock, and
-- that end as the key's expiry, as LIMIT.ACQUIRE and the Lua semaphore leave them. Returns DBSIZE.
local n, held, lease_ms = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME')
local ends = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + lease_ms
for i = 4, #ARGV do
  for k = 0, n - 1 do
    local key = string.format('%s:{%012d}', ARGV[i], k)
    for h = 1, held do
      redis.call('ZADD', key, ends, 'held:' .. h)
    end
    redis.call('PEXPIREAT', key, ends)
  end
end
return redis.call('DBSIZE')
