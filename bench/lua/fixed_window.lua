-- The fixed-window limiter applications write (the baseline of LIMIT.FIXED): count the call,
-- and give the counter its expiry on the window's first call. KEYS[1] is the counter; ARGV[1]
-- the window in ms, ARGV[2] the max. Returns 1 when allowed, 0 when refused.
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
if count > tonumber(ARGV[2]) then
    return 0
end
return 1
