"""Where Redis and the broker are: the configured URLs, or the embedded server.

Every process resolves its connections once, at start, from its settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.retry
from redis.backoff import EqualJitterBackoff
from redis.retry import Retry

from pipeline.embedded import EmbeddedRedis, ensure_embedded_redis
from pipeline.settings import CommonSettings

# Every Redis call has a timeout; a stuck server must not hang a worker forever.
REDIS_SOCKET_TIMEOUT_S = 30.0
REDIS_CONNECT_TIMEOUT_S = 5.0
# A Redis restart or failover must not kill a job: a command that finds the connection refused or
# cut is retried with jittered exponential backoff (50 ms doubling to 2 s, 20 times: about 20 s
# in all) before the error surfaces. redis-py's default is one immediate retry, which turned a
# one-second restart into a dead ``inferq ingest`` and lost tasks. Retrying is safe: every job
# write is idempotent (pipeline.jobs.store); at worst a counter counts a command twice.
REDIS_RETRIES = 20
REDIS_BACKOFF_CAP_S = 2.0
REDIS_BACKOFF_BASE_S = 0.05


@dataclass(frozen=True)
class Connections:
    """Resolved connection URLs.

    Attributes:
        redis_url: Redis for registry, limiter, jobs and results.
        broker_url: the Celery broker.
        embedded: the embedded server when no ``INFERQ_REDIS_URL`` was given, else ``None``.
    """

    redis_url: str
    broker_url: str
    embedded: EmbeddedRedis | None

    @property
    def is_embedded(self) -> bool:
        """True when running on the embedded Redis."""
        return self.embedded is not None


def broker_url_for(redis_url: str) -> str:
    """The Celery broker URL of a Redis URL (kombu spells unix sockets ``redis+socket://``)."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


def resolve(settings: CommonSettings, *, start_embedded: bool = True) -> Connections:
    """Resolve (and, with no Redis URL, start) the connections of this process.

    Args:
        settings: the process's settings.
        start_embedded: start the embedded Redis when none runs (False: only find one).
    """
    if settings.redis_url:
        broker = settings.broker_url or broker_url_for(settings.redis_url)
        return Connections(settings.redis_url, broker, None)
    server = ensure_embedded_redis(settings.data_dir)
    return Connections(server.url, settings.broker_url or broker_url_for(server.url), server)


def redis_client(url: str) -> redis.Redis[bytes]:
    """A redis-py client (``decode_responses=False``: values are bytes) with explicit timeouts."""
    return redis.Redis.from_url(
        url,
        socket_timeout=REDIS_SOCKET_TIMEOUT_S,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        health_check_interval=30,
        retry_on_timeout=True,
        retry=Retry(EqualJitterBackoff(REDIS_BACKOFF_CAP_S, REDIS_BACKOFF_BASE_S), REDIS_RETRIES),
    )


def async_redis_client(url: str) -> redis.asyncio.Redis[Any]:
    """A ``redis.asyncio`` client with the timeouts and retries of :func:`redis_client`."""
    backoff = EqualJitterBackoff(REDIS_BACKOFF_CAP_S, REDIS_BACKOFF_BASE_S)
    return redis.asyncio.Redis.from_url(
        url,
        socket_timeout=REDIS_SOCKET_TIMEOUT_S,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
        retry=redis.asyncio.retry.Retry(backoff, REDIS_RETRIES),
    )
