-- Sizes of the sliding logs rl:{k}, k = 0..ARGV[1]-1: {entries in all logs, largest log}.
local total, largest = 0, 0
for k = 0, tonumber(ARGV[1]) - 1 do
  local size = redis.call('ZCARD', string.format('rl:{%012d}', k))
  total = total + size
  if size > largest then largest = size end
end
return {total, largest}
