-- One rate-limit group's token bucket, on Redis's clock, with reservations.
--
-- KEYS[1]  the group's hash (inferq:rl:<group id>): tokens, ts_us, cooldown_until_us, rpm,
--          and the counters granted, wait_us, cooldowns.
-- ARGV[1]  'reserve': ARGV[2] requests per minute, ARGV[3] burst (capacity), ARGV[4] longest
--          acceptable wait (µs), ARGV[5] ttl (s).
--          Returns {granted 0|1, wait_us, slot_us}: the caller may send at slot_us (Redis clock),
--          wait_us after now. Refused (wait > ARGV[4]) leaves the bucket untouched.
--          'cooldown': ARGV[2] pause (µs), ARGV[3] ttl (s). Returns {cooldown_until_us, now_us}.
--          'confirm': ARGV[2] smallest gap between two sends (µs), ARGV[3] ttl (s). The last
--          step before a request leaves: go (and record the send) only when the group is not
--          cooling down and its previous send was at least the gap ago. Returns {go 0|1, wait_us, now_us}.
--
-- Why confirm: reservations are exact on Redis's clock, but a request leaves its worker a
-- variable time after its slot (sleep overshoot, event loop, GIL). A strictly pacing provider
-- (Elasticsearch's own limiter is bucket size 1) refuses a request that follows a late one too
-- closely, and each refusal spends a token. Checking the gap at send time, on Redis's clock,
-- keeps consecutive sends of all workers at least 60/rpm apart. 'sent' then moves the record to
-- when the request actually left, so a sender that was slow between confirming and writing
-- (event loop, GIL, a descheduled process) pushes the next send back instead of crowding it.
--
-- Reservation, as Elasticsearch's RateLimiter.reserve(): `tokens` is the bucket's content at time
-- `ts_us`, and ts_us runs ahead of now while reservations are outstanding. Each caller is handed
-- its own slot, so waiters wake one by one (no thundering herd) and Redis sees one call per token.

-- Redis < 5 refuses writes after TIME unless the script replicates effects; 6.2 does so already
-- and 7.x made the call a no-op, so it is harmless everywhere.
if redis.replicate_commands then pcall(redis.replicate_commands) end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local key = KEYS[1]
local f = redis.call('HMGET', key, 'tokens', 'ts_us', 'cooldown_until_us')
local tokens = tonumber(f[1])
local ts = tonumber(f[2])
local cooldown_until = tonumber(f[3]) or 0

-- Lua's tostring keeps 14 digits; µs timestamps have 16.
local function int(x) return string.format('%.0f', x) end

if ARGV[1] == 'confirm' then
  local g = redis.call('HMGET', key, 'cooldown_until_us', 'last_send_us')
  local earliest = math.max(tonumber(g[1]) or 0, (tonumber(g[2]) or 0) + tonumber(ARGV[2]))
  if now < earliest then
    return {0, earliest - now, now}
  end
  redis.call('HSET', key, 'last_send_us', int(now))
  redis.call('EXPIRE', key, ARGV[3])
  return {1, 0, now}
end

if ARGV[1] == 'sent' then
  local last = tonumber(redis.call('HGET', key, 'last_send_us')) or 0
  if now > last then
    redis.call('HSET', key, 'last_send_us', int(now))
    redis.call('EXPIRE', key, ARGV[2])
  end
  return {now}
end

if ARGV[1] == 'cooldown' then
  local until_us = math.max(cooldown_until, now + tonumber(ARGV[2]))
  -- Reservations before the end of the pause are void (callers re-check cooldown_until_us after
  -- sleeping); the next slot is its end, with one token: a probe, not a burst.
  if ts == nil or ts < until_us then
    redis.call('HSET', key, 'ts_us', int(until_us), 'tokens', '1')
  end
  redis.call('HSET', key, 'cooldown_until_us', int(until_us))
  redis.call('HINCRBY', key, 'cooldowns', 1)
  redis.call('EXPIRE', key, ARGV[3])
  return {until_us, now}
end

local rpm = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local rate = rpm / 60000000 -- tokens per µs
if tokens == nil or ts == nil then
  tokens = burst -- a new group starts full: its first request goes at once
  ts = now
end
tokens = math.min(tokens, burst)
if ts < now then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
if ts < cooldown_until then
  ts = cooldown_until
  tokens = math.min(tokens, 1)
end

local slot
if tokens >= 1 then
  slot = ts
  tokens = tokens - 1
else
  -- Rounded up to whole µs, and the fraction dropped: never early, at most 1 µs late per token.
  slot = ts + math.ceil((1 - tokens) / rate)
  tokens = 0
  ts = slot
end
local wait = slot - now
if wait > tonumber(ARGV[4]) then
  return {0, wait, slot}
end
redis.call('HSET', key, 'tokens', string.format('%.17g', tokens), 'ts_us', int(ts), 'rpm', ARGV[2])
redis.call('HINCRBY', key, 'granted', 1)
redis.call('HINCRBY', key, 'wait_us', wait)
redis.call('EXPIRE', key, ARGV[5])
return {1, wait, slot}
