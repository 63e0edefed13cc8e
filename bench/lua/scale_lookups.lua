-- ARGV[1] lookups of one member: each lookup in a dict that is being rehashed moves it one step on.
for i = 1, tonumber(ARGV[1]) do redis.call('ZSCORE', KEYS[1], 'm:000000000000') end
return 1
