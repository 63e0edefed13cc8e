-- Ends a lease of the semaphore of semaphore_acquire.lua (the baseline of LIMIT.RELEASE).
-- KEYS[1] holds the leases; ARGV[1] is the token. Returns 1 when it held one, 0 otherwise.
return redis.call('ZREM', KEYS[1], ARGV[1])
