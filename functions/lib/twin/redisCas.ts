/** The Redis twin store's batched check-and-set (redisStore.ts): the Lua script and its answers. */

/**
 * Check-and-set of many twins in one call (one command, not one per twin): KEYS are the index,
 * the set of arriving twins and the twins' hashes; ARGV[1] is '1' when arriving twins are not to
 * be written, then per twin its expected version ('-1': no record), new version, id, expected
 * write stamp ('' : any, the caller read the version) and the count of field/value items that
 * follow. Answers 1 (written), 0 (changed meanwhile) or 2 (arriving, not written) per twin.
 */
export const CHECK_AND_SET_MANY = `
local results = {}
local checkArriving = ARGV[1] == '1' and redis.call('SCARD', KEYS[2]) > 0
local at = 2
for i = 3, #KEYS do
  local expected, version, id, stamp = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  local first = at + 5
  at = first + tonumber(ARGV[at + 4])
  if checkArriving and redis.call('SISMEMBER', KEYS[2], id) == 1 then
    results[i - 2] = 2
  else
    local current = redis.call('HMGET', KEYS[i], 'v', 'w')
    if (current[1] or '-1') == expected and (stamp == '' or current[2] == stamp) then
      redis.call('HSET', KEYS[i], 'v', version, unpack(ARGV, first, at - 1))
      if expected == '-1' then redis.call('SADD', KEYS[1], id) end
      results[i - 2] = 1
    else
      results[i - 2] = 0
    end
  end
end
return results
`;

/** CHECK_AND_SET_MANY's answers per twin. */
export const CHANGED_MEANWHILE = 0;
export const WRITTEN = 1;
export const ARRIVING = 2;
