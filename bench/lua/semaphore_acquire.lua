-- A counting semaphore as client libraries write it (the baseline of LIMIT.ACQUIRE): drop the
-- leases that ended, then take a slot when one is free, or renew the token's own. KEYS[1] holds
-- the leases, token -> end (ms); ARGV: max, lease_ms, token, now_ms (the client's clock).
-- Returns 1 when acquired, 0 when not.
local now = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
