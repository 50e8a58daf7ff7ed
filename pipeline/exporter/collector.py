"""The Prometheus collector: everything is read from Redis and the broker at scrape time.

Workers keep their counters in Redis (:mod:`pipeline.metrics`, the limiter's bucket hashes), so
one exporter sees the whole deployment and a restart of either side loses nothing. The pure part,
:func:`families`, turns a :class:`Snapshot` into metric families and is unit-tested on its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from pipeline import metrics
from pipeline.exporter.queues import BrokerStats
from workers.ratelimit.core import BucketStats, parse_stats

log = logging.getLogger(__name__)

RATE_LIMIT_SCAN = "inferq:rl:*"  # pipeline.constants.RATE_LIMIT_KEY with any group
RATE_LIMIT_PREFIX = "inferq:rl:"

# Counters of pipeline.metrics: (field name, metric name without _total, help, scale).
_SERVICE_COUNTERS = (
    ("requests", "inferq_requests", "Provider HTTP requests sent, retries included.", 1.0),
    ("responses_429", "inferq_responses_429", "Provider answers with status 429.", 1.0),
    ("retries", "inferq_retries", "Requests retried after a transient error or a 429.", 1.0),
    ("failures", "inferq_failures", "Requests given up on (their documents failed).", 1.0),
    (
        "token_wait_ms",
        "inferq_token_wait_seconds",
        "Time spent waiting for rate-limit tokens.",
        1e-3,
    ),
)


@dataclass(frozen=True)
class Snapshot:
    """What one scrape read.

    Attributes:
        broker: queue depths and ages (``None``: the broker could not be read).
        counters: :func:`pipeline.metrics.read`'s ``{(counter, service, group): value}``.
        buckets: rate-limit group id -> its bucket counters.
        now_us: Redis's clock (µs), for cooldown remainders.
    """

    broker: BrokerStats | None
    counters: Mapping[tuple[str, str, str], int]
    buckets: Mapping[str, BucketStats]
    now_us: int


def _service_of_groups(counters: Mapping[tuple[str, str, str], int]) -> dict[str, str]:
    """group id -> service, from the counters (a group's material starts with its service)."""
    return {group: service for (_, service, group) in sorted(counters)}


def families(snap: Snapshot) -> list[Metric]:
    """The metric families of a snapshot (names and PromQL in :mod:`pipeline.exporter`)."""
    out: list[Metric] = []
    if snap.broker is not None:
        depth = GaugeMetricFamily(
            "inferq_queue_messages", "Messages waiting in a queue.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "inferq_queue_oldest_message_age_seconds",
            "Age of the oldest waiting message (Redis broker only).",
            labels=["queue"],
        )
        for q in snap.broker.queues:
            depth.add_metric([q.queue], q.messages)
            if q.oldest_age_s is not None:
                age.add_metric([q.queue], q.oldest_age_s)
        out += [depth, age]
        if snap.broker.unacked is not None:
            out.append(
                GaugeMetricFamily(
                    "inferq_broker_unacked_messages",
                    "Messages delivered to workers and not yet acknowledged (Redis broker).",
                    value=snap.broker.unacked,
                )
            )
    # Every counter for every (service, group) seen: 0 rather than absent, so rate() works.
    pairs = sorted({(service, group) for (_, service, group) in snap.counters})
    for field, name, help_text, scale in _SERVICE_COUNTERS:
        family = CounterMetricFamily(name, help_text, labels=["service", "group"])
        for service, group in pairs:
            family.add_metric(
                [service, group], snap.counters.get((field, service, group), 0) * scale
            )
        out.append(family)
    services = _service_of_groups(snap.counters)
    granted = CounterMetricFamily(
        "inferq_ratelimit_tokens_granted",
        "Tokens the global bucket handed out (one per HTTP attempt).",
        labels=["service", "group"],
    )
    limit = GaugeMetricFamily(
        "inferq_ratelimit_requests_per_minute",
        "The group's configured limit (requests per minute).",
        labels=["service", "group"],
    )
    cooldowns = CounterMetricFamily(
        "inferq_ratelimit_cooldowns",
        "Shared pauses set after a 429 with Retry-After.",
        labels=["service", "group"],
    )
    paused = GaugeMetricFamily(
        "inferq_ratelimit_cooldown_remaining_seconds",
        "Time left of the group's shared pause (0: none).",
        labels=["service", "group"],
    )
    for group, stats in sorted(snap.buckets.items()):
        labels = [services.get(group, ""), group]
        granted.add_metric(labels, stats.granted)
        limit.add_metric(labels, stats.requests_per_minute)
        cooldowns.add_metric(labels, stats.cooldowns)
        paused.add_metric(labels, max(stats.cooldown_until_us - snap.now_us, 0) / 1e6)
    out += [granted, limit, cooldowns, paused]
    return out


def read_buckets(client: redis.Redis[bytes]) -> dict[str, BucketStats]:
    """Every rate-limit group's bucket counters (SCAN, then one pipelined HGETALL each)."""
    keys = [k.decode() for k in client.scan_iter(match=RATE_LIMIT_SCAN, count=1000)]
    pipe = client.pipeline(transaction=False)
    for k in keys:
        pipe.hgetall(k)
    return {
        k.removeprefix(RATE_LIMIT_PREFIX): parse_stats(fields)
        for k, fields in zip(keys, pipe.execute(), strict=True)
        if fields
    }


class PipelineCollector(Collector):
    """A custom collector reading Redis and the broker on every scrape.

    Args:
        client: the pipeline's Redis (counters, buckets).
        broker_stats: returns the broker's queue stats; called once per scrape.
    """

    def __init__(self, client: redis.Redis[bytes], broker_stats: Callable[[], BrokerStats]) -> None:
        self._client = client
        self._broker_stats = broker_stats

    def snapshot(self) -> Snapshot:
        """Read everything once."""
        try:
            broker: BrokerStats | None = self._broker_stats()
        except Exception as exc:  # any broker failure: still report the rest
            log.warning("metrics.broker_unreadable error=%s", type(exc).__name__)
            broker = None
        seconds, micros = self._client.time()
        return Snapshot(
            broker,
            metrics.read(self._client),
            read_buckets(self._client),
            int(seconds) * 1_000_000 + int(micros),
        )

    def collect(self) -> Iterator[Metric]:
        """Yield ``inferq_up`` and, when Redis answered, every family of :func:`families`."""
        started = time.monotonic()
        try:
            snap = self.snapshot()
        except (redis.RedisError, OSError) as exc:
            log.warning("metrics.redis_unreadable error=%s", type(exc).__name__)
            yield GaugeMetricFamily("inferq_up", "1 when Redis could be read.", value=0)
            return
        yield GaugeMetricFamily("inferq_up", "1 when Redis could be read.", value=1)
        yield GaugeMetricFamily(
            "inferq_broker_up",
            "1 when the broker's queues could be read.",
            value=0 if snap.broker is None else 1,
        )
        yield from families(snap)
        yield GaugeMetricFamily(
            "inferq_scrape_duration_seconds",
            "Time this scrape took.",
            value=time.monotonic() - started,
        )
