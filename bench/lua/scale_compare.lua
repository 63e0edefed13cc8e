-- Players of KEYS[1] and KEYS[2] whose scores differ, over every ARGV[2]-th player below ARGV[1].
local differ = 0
for m = 0, tonumber(ARGV[1]) - 1, tonumber(ARGV[2]) do
  local member = string.format('m:%012d', m)
  if redis.call('ZSCORE', KEYS[1], member) ~= redis.call('ZSCORE', KEYS[2], member) then differ = differ + 1 end
end
return differ
