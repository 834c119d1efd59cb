/**
 * Redis Lua scripts of the sliding-window limiter. Each runs atomically, so
 * check-and-reserve is one step for the whole cluster, and the clock is
 * Redis's own (TIME): limiter replicas with skewed clocks still agree.
 *
 * The window is kept as per-bucket sums in a hash per scope (field = bucket
 * index, value = units). An admission counts every bucket that overlaps the
 * last `window` ms, the oldest one whole. Counting that partial bucket whole
 * is what makes the guarantee exact: for any window [a, a + 60 s], the last
 * admission inside it saw every earlier admission of that window counted, so
 * no 60-second window ever holds more than the limit. The price is admitting
 * slightly less than the limit (at most one bucket's worth) at the edge.
 */

const SHARED = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local window = tonumber(ARGV[1])
local bucket_ms = tonumber(ARGV[2])
local current = math.floor(now / bucket_ms)
local cutoff = math.floor((now - window) / bucket_ms)

-- Sum of the buckets still in the window; buckets that left it are deleted.
-- The buckets come back unsorted (with the newest index as 'newest'): only a
-- denial needs them in order, so an admission never pays for the sort.
local function window_sum(key)
  local flat = redis.call('HGETALL', key)
  local total = 0
  local buckets = { newest = nil }
  for j = 1, #flat, 2 do
    local b = tonumber(flat[j])
    local v = tonumber(flat[j + 1])
    if b < cutoff then
      redis.call('HDEL', key, flat[j])
    else
      total = total + v
      buckets[#buckets + 1] = { b, v }
      if buckets.newest == nil or b > buckets.newest then buckets.newest = b end
    end
  end
  return total, buckets
end

-- Milliseconds until enough of the window has slid past for 'need' more units.
local function wait_ms(buckets, total, need, limit)
  local excess = total + need - limit
  local freed = 0
  table.sort(buckets, function(x, y) return x[1] < y[1] end)
  for _, entry in ipairs(buckets) do
    freed = freed + entry[2]
    if freed >= excess then return (entry[1] + 1) * bucket_ms + window - now end
  end
  return window
end

-- Milliseconds until the newest counted bucket leaves the window: the budget is whole again
-- (OpenAI's x-ratelimit-reset-*: the time until the limit resets to its initial state).
local function reset_ms(buckets)
  if buckets.newest == nil then return 0 end
  return (buckets.newest + 1) * bucket_ms + window - now
end
`;

/**
 * KEYS: reservation, then per scope: requests hash, tokens hash, in-flight zset;
 *       then per budget: spend hash (field = period index); then, with budgets, the budget reservation.
 * ARGV: window_ms, bucket_ms, reservation_id, tokens, lease_ms, scope_count,
 *       then per scope: rpm, tpm, max_parallel (-1 = no limit; -2 = no limit, but in-flight calls are counted),
 *       then budget_count, cost (nano-USD), then per budget: max (nano-USD), duration_ms (-1 = one period forever), anchor_ms.
 * Returns {1, bucket, expires_at, rem_req, rem_tok, reset_req_ms, reset_tok_ms, per-scope..., period_1, ..., period_n}
 *      or {0, scope_index, reason, retry_ms, rem_req, rem_tok, reset_req_ms, reset_tok_ms, per-scope...}
 *      or {0, budget_index, 'budget', retry_ms (-1: never), rem_req, rem_tok, reset_req_ms, reset_tok_ms, spent}
 *      or {0, budget_index, 'unseeded', period_start_ms, rem_req, rem_tok, reset_req_ms, reset_tok_ms, period}
 *         (the budget has no counter in Redis: see SEED_BUDGET_SCRIPT)
 * (remaining and reset values are those of the first scope; -1 = no limit). Per scope
 * counted (all when admitted; up to the refusing one when not): its remaining
 * requests and tokens, a key's and a team's rate-limit headers.
 *
 * A budget admits a call only while its period's spend plus the call's
 * worst-case cost fits the budget, checked with the rate limits in this one
 * script: concurrent admissions anywhere in the cluster can never together
 * reserve more than the budget. Periods are counted on Redis's clock.
 */
export const ADMIT_SCRIPT = `${SHARED}
local id = ARGV[3]
local tokens = tonumber(ARGV[4])
local lease = tonumber(ARGV[5])
local scopes = tonumber(ARGV[6])
local report = { -1, -1, 0, 0 }
local remaining = {}

local function with_remaining(result)
  for _, value in ipairs(remaining) do result[#result + 1] = value end
  return result
end

for i = 1, scopes do
  local base = 1 + (i - 1) * 3
  local rpm = tonumber(ARGV[7 + (i - 1) * 3])
  local tpm = tonumber(ARGV[8 + (i - 1) * 3])
  local parallel = tonumber(ARGV[9 + (i - 1) * 3])
  local req_total, req_buckets = window_sum(KEYS[base + 1])
  local tok_total, tok_buckets = window_sum(KEYS[base + 2])
  remaining[#remaining + 1] = rpm >= 0 and math.max(0, rpm - req_total) or -1
  remaining[#remaining + 1] = tpm >= 0 and math.max(0, tpm - tok_total) or -1
  if i == 1 then
    report = {
      rpm >= 0 and math.max(0, rpm - req_total) or -1,
      tpm >= 0 and math.max(0, tpm - tok_total) or -1,
      reset_ms(req_buckets),
      reset_ms(tok_buckets),
    }
  end
  if rpm >= 0 and req_total + 1 > rpm then
    return with_remaining({ 0, i, 'rpm', wait_ms(req_buckets, req_total, 1, rpm), report[1], report[2], report[3], report[4] })
  end
  if tpm >= 0 and tok_total + tokens > tpm then
    local retry = window
    if tokens <= tpm then retry = wait_ms(tok_buckets, tok_total, tokens, tpm) end
    return with_remaining({ 0, i, 'tpm', retry, report[1], report[2], report[3], report[4] })
  end
  if parallel ~= -1 then redis.call('ZREMRANGEBYSCORE', KEYS[base + 3], '-inf', now) end
  if parallel >= 0 then
    if redis.call('ZCARD', KEYS[base + 3]) >= parallel then
      local first = redis.call('ZRANGE', KEYS[base + 3], 0, 0, 'WITHSCORES')
      local retry = 1000
      if first[2] then retry = math.max(1, tonumber(first[2]) - now) end
      return with_remaining({ 0, i, 'parallel', retry, report[1], report[2], report[3], report[4] })
    end
  end
end

local budget_arg = 7 + scopes * 3
local budgets = tonumber(ARGV[budget_arg] or '0')
local cost = tonumber(ARGV[budget_arg + 1] or '0')
local periods = {}
for j = 1, budgets do
  local max = tonumber(ARGV[budget_arg + 2 + (j - 1) * 3])
  local duration = tonumber(ARGV[budget_arg + 3 + (j - 1) * 3])
  local anchor = tonumber(ARGV[budget_arg + 4 + (j - 1) * 3])
  local period = 0
  if duration > 0 then period = math.floor((now - anchor) / duration) end
  periods[j] = period
  -- No counter at all: a key's first call in a while, or Redis lost its data. The limiter seeds it from the ledger first.
  if redis.call('EXISTS', KEYS[1 + scopes * 3 + j]) == 0 then
    local period_start = 0
    if duration > 0 then period_start = anchor + period * duration end
    return { 0, j, 'unseeded', period_start, report[1], report[2], report[3], report[4], period }
  end
  local spent = tonumber(redis.call('HGET', KEYS[1 + scopes * 3 + j], period) or '0')
  -- Spent reaching the budget denies even a call of unknown (zero) cost, as LiteLLM's spend >= max_budget does.
  if spent >= max or spent + cost > max then
    local retry = -1
    if duration > 0 then retry = anchor + (period + 1) * duration - now end
    return { 0, j, 'budget', retry, report[1], report[2], report[3], report[4], spent }
  end
end

local expires_at = now + lease
for j = 1, budgets do
  local key = KEYS[1 + scopes * 3 + j]
  local duration = tonumber(ARGV[budget_arg + 3 + (j - 1) * 3])
  local anchor = tonumber(ARGV[budget_arg + 4 + (j - 1) * 3])
  -- Earlier periods count for nothing now: their fields go (budget_duration resets on the cluster's clock).
  local fields = redis.call('HKEYS', key)
  for _, field in ipairs(fields) do
    if tonumber(field) < periods[j] then redis.call('HDEL', key, field) end
  end
  redis.call('HINCRBY', key, periods[j], cost)
  if duration > 0 then
    -- Kept through the period's end and one more period, for settlements of calls that finish late.
    redis.call('PEXPIRE', key, anchor + (periods[j] + 2) * duration - now)
  end
end
if budgets > 0 then
  redis.call('SET', KEYS[2 + scopes * 3 + budgets], cost, 'PX', lease + window)
end
for i = 1, scopes do
  local base = 1 + (i - 1) * 3
  redis.call('HINCRBY', KEYS[base + 1], current, 1)
  redis.call('PEXPIRE', KEYS[base + 1], window * 2)
  if tokens > 0 then
    redis.call('HINCRBY', KEYS[base + 2], current, tokens)
    redis.call('PEXPIRE', KEYS[base + 2], window * 2)
  end
  if tonumber(ARGV[9 + (i - 1) * 3]) ~= -1 then
    redis.call('ZADD', KEYS[base + 3], expires_at, id)
    redis.call('PEXPIRE', KEYS[base + 3], lease + window)
  end
end
redis.call('SET', KEYS[1], tokens, 'PX', lease + window)
local rem_req = report[1]
local rem_tok = report[2]
if rem_req >= 0 then rem_req = math.max(0, rem_req - 1) end
if rem_tok >= 0 then rem_tok = math.max(0, rem_tok - tokens) end
-- What was just reserved sits in the current bucket, the newest: the budget is whole once it leaves.
local reset_now = (current + 1) * bucket_ms + window - now
local reset_tok = report[4]
if tokens > 0 then reset_tok = reset_now end
-- Each scope's remaining, less what was just reserved.
for j = 1, #remaining, 2 do
  if remaining[j] >= 0 then remaining[j] = math.max(0, remaining[j] - 1) end
  if remaining[j + 1] >= 0 then remaining[j + 1] = math.max(0, remaining[j + 1] - tokens) end
end
local answer = with_remaining({ 1, current, expires_at, rem_req, rem_tok, reset_now, reset_tok })
for j = 1, budgets do answer[#answer + 1] = periods[j] end
return answer
`;

/**
 * Settles a reservation to the actual usage, once: the reservation key is
 * deleted by the first settlement, so a redelivered event changes nothing.
 * KEYS: reservation, then per scope: tokens hash, in-flight zset.
 * ARGV: window_ms, bucket_ms, reservation_id, bucket, actual_tokens, scope_count.
 * Returns 1 when settled, 0 when already settled or expired.
 */
export const SETTLE_SCRIPT = `${SHARED}
local reserved = redis.call('GET', KEYS[1])
if not reserved then return 0 end
redis.call('DEL', KEYS[1])
local id = ARGV[3]
local bucket = ARGV[4]
local delta = tonumber(ARGV[5]) - tonumber(reserved)
for i = 1, tonumber(ARGV[6]) do
  local tok_key = KEYS[2 + (i - 1) * 2]
  local inflight_key = KEYS[3 + (i - 1) * 2]
  -- A bucket that already left the window needs no correction: it counts for nothing now.
  if delta ~= 0 and tonumber(bucket) >= cutoff and redis.call('EXISTS', tok_key) == 1 then
    redis.call('HINCRBY', tok_key, bucket, delta)
  end
  redis.call('ZREM', inflight_key, id)
end
return 1
`;

/**
 * Settles a budget reservation to the call's real cost, once (the first
 * settlement deletes the reservation). The cost goes to the period the call
 * was admitted in; a period already gone (reset) is left alone.
 * KEYS: budget reservation, then per budget: spend hash.
 * ARGV: actual (nano-USD), budget_count, then per budget: period.
 * Returns 1 when settled, 0 when already settled or expired.
 */
export const SETTLE_BUDGET_SCRIPT = `
local reserved = redis.call('GET', KEYS[1])
if not reserved then return 0 end
redis.call('DEL', KEYS[1])
local delta = tonumber(ARGV[1]) - tonumber(reserved)
if delta == 0 then return 1 end
for j = 1, tonumber(ARGV[2]) do
  local field = ARGV[2 + j]
  if redis.call('HEXISTS', KEYS[1 + j], field) == 1 then redis.call('HINCRBY', KEYS[1 + j], field, delta) end
end
return 1
`;

/**
 * Seeds a budget's counter for its current period with the spend the ledger
 * recorded since the period began, unless the counter exists (another
 * limiter seeded it, or a call was admitted meanwhile). A counter goes
 * missing when a key has not been used for a period, and when Redis loses
 * its data: then the ledger, not zero, is where the period's spend restarts.
 * KEYS: spend hash. ARGV: period, spend (nano-USD), duration_ms (-1 = none), anchor_ms.
 */
export const SEED_BUDGET_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local period = tonumber(ARGV[1])
local duration = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], period, ARGV[2])
if duration > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[4]) + (period + 2) * duration - now))
end
return 1
`;
