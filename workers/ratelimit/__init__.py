"""The global rate limiter: one token bucket per rate-limit group, in Redis, on Redis's clock.

Scope, and why Redis:

* **Redis (this package)** holds a provider's quota. The quota belongs to an api key / account /
  model (the grouping key of reference §e.3), and every embed worker process on every host spends
  it; only a bucket outside all of them can keep their sum under ``requests_per_minute``. Every
  HTTP attempt, retries included, takes a token. The script reads ``TIME`` so that hosts with
  skewed clocks agree.
* **aiolimiter.AsyncLimiter** is one process and one event loop. It is right for limits that are
  per process by nature: e.g. how fast one worker process may open connections or hit a local
  resource. It is wrong for a provider quota: N processes would send N times the limit. inferq
  does not use it for quotas; a future in-process limiter is named after its scope
  (``per_process_limiter``), and in-flight concurrency is bounded by the ``httpx`` pool
  (``WorkerSettings.http_max_connections``), not by a rate limiter.
* Celery's ``rate_limit`` is per worker and is not used (Celery issue 5732).

Design: a token bucket with reservations, as Elasticsearch's ``RateLimiter.reserve()``. One Lua
call refills, takes a token and returns its slot (when it may be used); callers sleep until their
own slot, so waiters wake one at a time, FIFO in order of asking, and Redis sees one round trip per
token (two after a wait: a check that no cooldown voided the slot). Bucket size (``burst``) 1 by
default: strict pacing, one request every 60/rpm s, like Elasticsearch. A 429's ``Retry-After`` is
shared with :meth:`~RedisTokenBucket.cooldown`. A wait longer than ``max_wait_s`` raises
:class:`TokenWaitTooLongError` without reserving, so the caller can requeue instead of sleeping.

Usage in the embed worker::

    group = group_id(adapter.rate_limit_group(settings, secrets))  # never log the material
    await bucket.acquire(group, requests_per_minute)                # before every HTTP attempt
    ...
    await bucket.cooldown(group, exc.retry_after_s)                 # on a 429 with Retry-After
"""

from workers.ratelimit.async_bucket import AsyncRedisTokenBucket
from workers.ratelimit.bucket import RedisTokenBucket
from workers.ratelimit.core import (
    BucketStats,
    Reservation,
    TokenWaitTooLongError,
    bucket_key,
    group_id,
)

__all__ = [
    "AsyncRedisTokenBucket",
    "BucketStats",
    "RedisTokenBucket",
    "Reservation",
    "TokenWaitTooLongError",
    "bucket_key",
    "group_id",
]
