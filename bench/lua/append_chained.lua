-- Appends ARGV[1] entries of the benchmark's 3-field entry to KEYS[1] with AUDIT.APPEND, so that
-- a stream created CHAIN gets a chain as long as its cap.
for i = 1, tonumber(ARGV[1]) do
  redis.call('AUDIT.APPEND', KEYS[1], 'action', 'add', 'item_id', string.format('%012d', i), 'quantity', '3')
end
