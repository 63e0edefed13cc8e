-- Deletes the producers hashes audit:{k}:producers, k = 0..ARGV[1]-1, and returns what they held:
-- {producers in all hashes, largest hash}.
local total, largest = 0, 0
for k = 0, tonumber(ARGV[1]) - 1 do
  local key = string.format('audit:{%012d}:producers', k)
  local size = redis.call('HLEN', key)
  total = total + size
  if size > largest then largest = size end
  redis.call('DEL', key)
end
return {total, largest}
