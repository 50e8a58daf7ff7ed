"""Pipeline counters kept in Redis for the metrics endpoint, per service and rate-limit group.

Workers add to them with one pipelined HINCRBY per request outcome; the Prometheus exporter reads
the hash. Fields are ``<counter>|<service>|<group>``; the group is the hashed rate-limit group id,
never the grouping material (which can hold an api key).
"""

from __future__ import annotations

from collections.abc import Mapping

import redis

from pipeline.constants import METRICS_KEY

# Counters workers maintain (the exporter documents each).
COUNTERS = ("requests", "responses_429", "retries", "failures", "token_wait_ms")


def add(client: redis.Redis[bytes], service: str, group: str, counts: Mapping[str, int]) -> None:
    """Add ``counts`` to the service/group counters."""
    pipe = client.pipeline(transaction=False)
    for name, amount in counts.items():
        if amount:
            pipe.hincrby(METRICS_KEY, f"{name}|{service}|{group}", int(amount))
    pipe.execute()


def read(client: redis.Redis[bytes]) -> dict[tuple[str, str, str], int]:
    """Every counter as ``{(counter, service, group): value}``."""
    out: dict[tuple[str, str, str], int] = {}
    for field, value in client.hgetall(METRICS_KEY).items():
        name, service, group = field.decode().split("|", 2)
        out[(name, service, group)] = int(value)
    return out
