/** The Redis twin store's batched check-and-set (redisStore.ts): the Lua script and its answers. */

/**
 * The hash field that marks a released twin's hash as its tombstone: `release` replaces the hash
 * by this one field, with the grace period as the key's TTL (redisStore.ts).
 */
export const RELEASED_FIELD = "r";

/**
 * Check-and-set of many twins in one call (one command, not one per twin): KEYS are the index,
 * the set of arriving twins and the twins' hashes; ARGV[1] is '1' when arriving and released
 * twins are not to be written, then per twin its expected version ('-1': no record), new version,
 * id, expected write stamp ('' : any, the caller read the version) and the count of field/value
 * items that follow. Answers 1 (written), 0 (changed meanwhile), 2 (arriving, not written) or
 * 3 (released, not written) per twin. A write that is let through a tombstone (ARGV[1] '0':
 * hydrate) clears it and keeps the hash for good.
 */
export const CHECK_AND_SET_MANY = `
local results = {}
local refuse = ARGV[1] == '1'
local checkArriving = refuse and redis.call('SCARD', KEYS[2]) > 0
local at = 2
for i = 3, #KEYS do
  local expected, version, id, stamp = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  local first = at + 5
  at = first + tonumber(ARGV[at + 4])
  if checkArriving and redis.call('SISMEMBER', KEYS[2], id) == 1 then
    results[i - 2] = 2
  else
    local current = redis.call('HMGET', KEYS[i], 'v', 'w', '${RELEASED_FIELD}')
    if current[3] and refuse then
      results[i - 2] = 3
    elseif (current[1] or '-1') == expected and (stamp == '' or current[2] == stamp) then
      if current[3] then
        redis.call('HDEL', KEYS[i], '${RELEASED_FIELD}')
        redis.call('PERSIST', KEYS[i])
      end
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
export const RELEASED = 3;
