-- The sliding logs in the layout of sliding_window.lua (the script bench/run.sh measures): keys sl:{k} for k = ARGV[1]..ARGV[2],
-- ARGV[3] entries each, members req:<12 digits>:<12 digits> scored with the client's now (ARGV[4]),
-- the key expiring after the window (ARGV[5]).
for k = tonumber(ARGV[1]), tonumber(ARGV[2]) do
  local key = string.format('sl:{%d}', k)
  for i = 0, tonumber(ARGV[3]) - 1 do
    redis.call('ZADD', key, ARGV[4], string.format('req:%012d:%012d', k, i))
  end
  redis.call('PEXPIRE', key, ARGV[5])
end
return redis.call('DBSIZE')
