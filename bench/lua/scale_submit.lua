-- Adds players m:<m> (12 digits, as redis-benchmark names them) ARGV[1]..ARGV[2] to KEYS[1] with
-- TOURNEY.SUBMIT, one call per player (the board as tally writes it).
local factor, modulus = tonumber(ARGV[3]), tonumber(ARGV[4])
for m = tonumber(ARGV[1]), tonumber(ARGV[2]) do
  redis.call('TOURNEY.SUBMIT', KEYS[1], string.format('m:%012d', m), (m * factor) % modulus)
end
return redis.call('ZCARD', KEYS[1])
