-- The same players with ZADD, 1000 per call (a plain ZSET as an application writes it).
local factor, modulus = tonumber(ARGV[3]), tonumber(ARGV[4])
local args = {}
for m = tonumber(ARGV[1]), tonumber(ARGV[2]) do
  args[#args + 1] = (m * factor) % modulus
  args[#args + 1] = string.format('m:%012d', m)
  if #args == 2000 or m == tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], unpack(args))
    args = {}
  end
end
return redis.call('ZCARD', KEYS[1])
