"""Lua scripts of the job store. Each runs atomically in Redis, which is what makes a document's
completion happen exactly once however often a task is redelivered.

A document's final state is set with HSETNX in ``state``; only the call that sets it appends the
document to the ``done`` stream, so the stream holds each document once.
"""

from __future__ import annotations

# KEYS: chunks, received, expected, state, done
# ARGV: n, then n triples (doc_id, chunk_index, value)
RECORD_RESULTS = """
local n = tonumber(ARGV[1])
local finished = 0
for i = 0, n - 1 do
  local doc = ARGV[2 + i * 3]
  local idx = ARGV[3 + i * 3]
  local value = ARGV[4 + i * 3]
  if redis.call('HEXISTS', KEYS[4], doc) == 0 then
    if redis.call('HSETNX', KEYS[1], doc .. '\\31' .. idx, value) == 1 then
      local got = redis.call('HINCRBY', KEYS[2], doc, 1)
      local expected = tonumber(redis.call('HGET', KEYS[3], doc))
      if expected and got >= expected then
        if redis.call('HSETNX', KEYS[4], doc, 'done') == 1 then
          redis.call('XADD', KEYS[5], '*', 'doc', doc, 'state', 'done')
          finished = finished + 1
        end
      end
    end
  end
end
return finished
"""

# KEYS: state, done
# ARGV: state ("failed" | "skipped"), error_type, reason, then triples (key, id, line): the state
# key of the document (its id, or "line:<n>" for an input line without a usable id), the id to
# report ("" when none) and the input line number ("" when unknown).
FINISH_DOCS = """
local finished = 0
for i = 4, #ARGV, 3 do
  local doc = ARGV[i]
  if redis.call('HSETNX', KEYS[1], doc, ARGV[1]) == 1 then
    redis.call('XADD', KEYS[2], '*', 'doc', doc, 'state', ARGV[1], 'type', ARGV[2],
      'reason', ARGV[3], 'id', ARGV[i + 1], 'line', ARGV[i + 2])
    finished = finished + 1
  end
end
return finished
"""

# KEYS: expected, received, state, done
# ARGV: pairs (doc_id, expected_count)
# Sets expected counts; a document whose results all arrived before its count was known (a
# redelivered chunk task after its embed tasks ran) is completed here.
SET_EXPECTED = """
local finished = 0
for i = 1, #ARGV, 2 do
  local doc = ARGV[i]
  local expected = tonumber(ARGV[i + 1])
  redis.call('HSET', KEYS[1], doc, expected)
  local got = tonumber(redis.call('HGET', KEYS[2], doc) or '0')
  if got >= expected and redis.call('HEXISTS', KEYS[3], doc) == 0 then
    redis.call('HSET', KEYS[3], doc, 'done')
    redis.call('XADD', KEYS[4], '*', 'doc', doc, 'state', 'done')
    finished = finished + 1
  end
end
return finished
"""
