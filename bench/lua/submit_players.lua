-- Writes players m:0..ARGV[1]-1 (12 digits) into KEYS[1] with TOURNEY.SUBMIT, one call each, with
-- the scores prefill_boards.lua gives board ARGV[2].
local n, k = tonumber(ARGV[1]), tonumber(ARGV[2])
for m = 0, n - 1 do
  redis.call('TOURNEY.SUBMIT', KEYS[1], string.format('m:%012d', m), (m * 7919 + k * 104729) % 100003)
end
return 1
