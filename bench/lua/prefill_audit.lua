-- Fills the streams audit:{k}, audit2:{k} and audit3:{k}, k = 0..ARGV[1]-1, with ARGV[2] entries each, the
-- benchmark's entry, and the streams with settings (AUDIT.CREATE): audit4:{k} (MAXLEN ~), audit5:{k}
-- (CHAIN, filled by AUDIT.APPEND so that it is chained) and audit6:{k} (ONFULL REFUSE, with two groups
-- that have read everything, even what is appended later: SETID to the largest ID). Returns DBSIZE.
local n, cap = tonumber(ARGV[1]), tonumber(ARGV[2])
for k = 0, n - 1 do
  local function key(prefix) return string.format('%s:{%012d}', prefix, k) end
  redis.call('AUDIT.CREATE', key('audit4'), 'MAXLEN', '~', cap)
  redis.call('AUDIT.CREATE', key('audit5'), 'MAXLEN', cap, 'CHAIN')
  redis.call('AUDIT.CREATE', key('audit6'), 'MAXLEN', cap, 'ONFULL', 'REFUSE')
  for _, prefix in ipairs({'audit', 'audit2', 'audit3', 'audit4', 'audit5', 'audit6'}) do
    for i = 0, cap - 1 do
      local item = string.format('%012d', (i * 7 + k) % n)
      if prefix == 'audit5' then
        redis.call('AUDIT.APPEND', key(prefix), 'action', 'add', 'item_id', item, 'quantity', '3')
      else
        redis.call('XADD', key(prefix), '*', 'action', 'add', 'item_id', item, 'quantity', '3')
      end
    end
  end
  for _, group in ipairs({'g1', 'g2'}) do
    redis.call('XGROUP', 'CREATE', key('audit6'), group, '$')
    redis.call('XGROUP', 'SETID', key('audit6'), group, '18446744073709551615-0')
  end
end
return redis.call('DBSIZE')
