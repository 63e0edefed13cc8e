-- Fills KEYS[1] with ARGV[1] entries of the benchmark's audit entry (bench/run.sh).
for i = 0, tonumber(ARGV[1]) - 1 do
  redis.call('XADD', KEYS[1], '*', 'action', 'add', 'item_id', string.format('%012d', i % 300), 'quantity', '3')
end
return redis.call('XLEN', KEYS[1])
