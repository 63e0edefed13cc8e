-- Lengths of the streams <ARGV[1]>:{k}, k = 0..ARGV[2]-1: {shortest, longest}.
local shortest, longest
for k = 0, tonumber(ARGV[2]) - 1 do
  local length = redis.call('XLEN', string.format('%s:{%012d}', ARGV[1], k))
  if not shortest or length < shortest then shortest = length end
  if not longest or length > longest then longest = length end
end
return {shortest, longest}
