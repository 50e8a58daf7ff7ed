"""Everything a worker process builds once and every task reuses.

The ``inferq worker`` command builds the settings and resolves the connections in the parent
process and calls :func:`install`; each process (a prefork child after fork, or the one process of
the threads pool) builds its :class:`WorkerRuntime` on first use: Redis client, registry, event
loop, HTTP client, limiter.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis
import redis.asyncio

from pipeline.connections import Connections, async_redis_client, redis_client
from pipeline.endpoints import Endpoint, EndpointRegistry, SecretCipher
from pipeline.settings import WorkerSettings
from workers.loop import LoopThread
from workers.ratelimit import AsyncRedisTokenBucket
from workers.retry import RetryPolicy
from workers.services import ServiceAdapter, get_adapter

# Endpoints are immutable once PUT (Elasticsearch's PUT never updates), so a short cache only
# delays noticing a delete-and-recreate.
ENDPOINT_CACHE_TTL_S = 30.0

_installed: tuple[WorkerSettings, Connections] | None = None
_runtime: WorkerRuntime | None = None
_runtime_pid: int | None = None
_lock = threading.Lock()


@dataclass
class WorkerRuntime:
    """A worker process's shared objects (see module docstring)."""

    settings: WorkerSettings
    connections: Connections
    redis: redis.Redis[bytes]
    registry: EndpointRegistry
    loop: LoopThread
    http: httpx.AsyncClient
    bucket: AsyncRedisTokenBucket
    policy: RetryPolicy
    _endpoints: dict[str, tuple[float, Endpoint, dict[str, str]]] = field(default_factory=dict)
    _adapters: dict[str, ServiceAdapter] = field(default_factory=dict)

    def adapter(self, service: str) -> ServiceAdapter:
        """This process's adapter of ``service`` (one per process: some cache auth tokens)."""
        if service not in self._adapters:
            self._adapters[service] = get_adapter(
                service,
                base_url=self.settings.provider_base_url,
                model_dir=self.settings.local_model_dir,
            )
        return self._adapters[service]

    def endpoint(self, inference_id: str) -> tuple[Endpoint, dict[str, str]]:
        """The endpoint and its secrets, cached for a few seconds."""
        now = time.monotonic()
        cached = self._endpoints.get(inference_id)
        if cached and now - cached[0] < ENDPOINT_CACHE_TTL_S:
            return cached[1], cached[2]
        endpoint = self.registry.get(inference_id)
        secrets = self.registry.secrets(inference_id)
        self._endpoints[inference_id] = (now, endpoint, secrets)
        return endpoint, secrets


def install(settings: WorkerSettings, connections: Connections) -> None:
    """Record the process's settings; runtimes are built from them on first use."""
    global _installed
    _installed = (settings, connections)


def _build(settings: WorkerSettings, connections: Connections) -> WorkerRuntime:
    client = redis_client(connections.redis_url)
    loop = LoopThread()

    async def make_clients() -> tuple[httpx.AsyncClient, AsyncRedisTokenBucket]:
        # Both belong to the loop: created inside it, used only from it.
        limits = httpx.Limits(
            max_connections=settings.http_max_connections,
            max_keepalive_connections=settings.http_max_connections,
        )
        http = httpx.AsyncClient(timeout=httpx.Timeout(settings.http_timeout_s), limits=limits)
        bucket_redis = async_redis_client(connections.redis_url)
        bucket = AsyncRedisTokenBucket(bucket_redis, max_wait_s=settings.token_wait_max_s)
        return http, bucket

    http, bucket = loop.run(make_clients())

    return WorkerRuntime(
        settings=settings,
        connections=connections,
        redis=client,
        registry=EndpointRegistry(client, SecretCipher.from_settings(settings)),
        loop=loop,
        http=http,
        bucket=bucket,
        policy=RetryPolicy.from_settings(settings),
    )


def runtime() -> WorkerRuntime:
    """This process's runtime (built after fork, once)."""
    global _runtime, _runtime_pid
    if _runtime is not None and _runtime_pid == os.getpid():
        return _runtime
    with _lock:
        if _runtime is None or _runtime_pid != os.getpid():
            if _installed is None:
                from pipeline.connections import resolve
                from pipeline.settings import load

                settings = load(WorkerSettings)
                install(settings, resolve(settings))
            assert _installed is not None
            _runtime = _build(*_installed)
            _runtime_pid = os.getpid()
    return _runtime


def describe() -> dict[str, Any]:
    """What this process runs against (for logs; no secrets)."""
    if _installed is None:
        return {}
    settings, connections = _installed
    return {
        "embedded": connections.is_embedded,
        "pid": os.getpid(),
        "http_timeout_s": settings.http_timeout_s,
    }
