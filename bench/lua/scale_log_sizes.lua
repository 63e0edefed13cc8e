-- {entries in all logs sl:{0..ARGV[1]-1}, smallest log, largest log}.
local total, smallest, largest = 0, nil, 0
for k = 0, tonumber(ARGV[1]) - 1 do
  local size = redis.call('ZCARD', string.format('sl:{%d}', k))
  total = total + size
  if not smallest or size < smallest then smallest = size end
  if size > largest then largest = size end
end
return {total, smallest, largest}
