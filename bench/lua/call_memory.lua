-- Runs a command and returns {MEMORY USAGE, OBJECT ENCODING} of its key in the same script:
-- GCRA state expires about 1 ms after the call, and a script sees the time of its start.
redis.call(unpack(ARGV))
return {redis.call('MEMORY', 'USAGE', KEYS[1], 'SAMPLES', 0), redis.call('OBJECT', 'ENCODING', KEYS[1])}
