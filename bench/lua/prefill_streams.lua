-- Fills the streams <prefix>:{k}, k = 0..ARGV[1]-1, for each prefix ARGV[3].., with ARGV[2] entries
-- each of the benchmark's 3-field entry (XADD), item_id drawn as prefill_audit.lua draws it.
local n, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
for k = 0, n - 1 do
  for p = 3, #ARGV do
    local key = string.format('%s:{%012d}', ARGV[p], k)
    for i = 0, cap - 1 do
      redis.call('XADD', key, '*', 'action', 'add', 'item_id', string.format('%012d', (i * 7 + k) % n), 'quantity', '3')
    end
  end
end
return 1
