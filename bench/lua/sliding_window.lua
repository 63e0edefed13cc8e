local key = KEYS[1]
local window_ms = tonumber(ARGV[1])
local max_allowed = tonumber(ARGV[2])
local now_ms = tonumber(ARGV[3])
local request_id = ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, 0, now_ms - window_ms)
local current_count = redis.call('ZCARD', key)
if current_count < max_allowed then
  redis.call('ZADD', key, now_ms, request_id)
  redis.call('PEXPIRE', key, window_ms)
  return 1
end
return 0
