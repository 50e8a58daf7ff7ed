"""The exporter's pure parts: credentials, the auth check, message ages and metric families."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from pipeline.connections import Connections
from pipeline.embedded import EmbeddedRedis
from pipeline.errors import ConfigurationError
from pipeline.exporter import (
    BrokerStats,
    QueueStats,
    Snapshot,
    families,
    is_authorized,
    make_app,
    ops_credentials,
    parse_basic_auth,
)
from pipeline.exporter.queues import enqueued_at, priority_keys, redis_url_of_broker
from pipeline.settings import OpsSettings
from workers.ratelimit import BucketStats

GROUP = "0123456789abcdef0123456789abcdef"


def basic(user: str, password: str) -> str:
    """An Authorization header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_auth_pairs_are_parsed() -> None:
    """``user:pass`` and comma-separated pairs; the password may contain colons."""
    assert parse_basic_auth("ops:pa:ss") == (("ops", "pa:ss"),)
    assert parse_basic_auth("a:1,b:2") == (("a", "1"), ("b", "2"))


@pytest.mark.parametrize("value", ["nopassword-x1", ":pw-z9", "someone-q7:", "a-k3:1,,b:2"])
def test_malformed_credentials_are_refused_without_echo(value: str) -> None:
    """Missing user or password: a configuration error that does not quote the value."""
    with pytest.raises(ConfigurationError) as info:
        parse_basic_auth(value)
    assert value not in str(info.value)


def test_authorization_header_is_checked_against_every_pair() -> None:
    """Right pair passes; wrong password, other scheme, bad base64 and absence fail."""
    creds = (("a", "1"), ("b", "2"))
    assert is_authorized(basic("b", "2"), creds)
    assert not is_authorized(basic("b", "1"), creds)
    assert not is_authorized("Bearer x", creds)
    assert not is_authorized("Basic %%%", creds)
    assert not is_authorized(None, creds)
    assert is_authorized(None, ())


def _connections(embedded: bool) -> Connections:
    server = EmbeddedRedis(Path("/nonexistent"), Path("/nonexistent/s")) if embedded else None
    return Connections("redis://r:6379/0", "redis://r:6379/0", server)


def test_access_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shared Redis needs auth or the insecure flag; embedded needs loopback and no auth."""
    shared, embedded = _connections(False), _connections(True)
    with pytest.raises(ConfigurationError, match="refusing to serve without authentication"):
        ops_credentials(OpsSettings(), shared, "0.0.0.0")  # noqa: S104
    assert ops_credentials(OpsSettings(flower_insecure=True), shared, "0.0.0.0") == ()  # noqa: S104
    assert ops_credentials(OpsSettings(flower_basic_auth="u:p"), shared, "10.0.0.1") == (
        ("u", "p"),
    )
    assert ops_credentials(OpsSettings(), embedded, "127.0.0.1") == ()
    assert ops_credentials(OpsSettings(), embedded, "localhost") == ()
    with pytest.raises(ConfigurationError, match="loopback only"):
        ops_credentials(OpsSettings(flower_basic_auth="u:p"), embedded, "0.0.0.0")  # noqa: S104


def test_enqueue_time_is_read_from_the_kombu_message_headers() -> None:
    """The header of a kombu Redis message; anything else has no time."""
    message = {"body": "e30=", "headers": {"inferq_enqueued_at": 1700000000.5, "task": "t"}}
    assert enqueued_at(json.dumps(message).encode()) == 1700000000.5
    assert enqueued_at(json.dumps({"headers": {}}).encode()) is None
    assert enqueued_at(json.dumps({"headers": {"inferq_enqueued_at": "x"}}).encode()) is None
    assert enqueued_at(b"not json") is None
    assert enqueued_at(None) is None


def test_priority_lists_and_broker_urls() -> None:
    """kombu's priority-step list names; redis-py URLs of Redis brokers, None for AMQP."""
    assert priority_keys("chunk") == ["chunk", "chunk\x06\x163", "chunk\x06\x166", "chunk\x06\x169"]
    assert redis_url_of_broker("redis+socket:///tmp/r.sock") == "unix:///tmp/r.sock"
    assert redis_url_of_broker("rediss://:pw@h:6380/1") == "rediss://:pw@h:6380/1"
    assert redis_url_of_broker("amqp://guest:guest@h:5672//") is None


class _Fixed(Collector):
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap

    def collect(self):  # type: ignore[no-untyped-def]
        yield from families(self.snap)


def _exposition(snap: Snapshot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(_Fixed(snap))
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}  # fmt: skip


def test_families_from_a_snapshot() -> None:
    """Queues, per-service counters (0 when unseen, ms as s) and bucket use vs limit."""
    snap = Snapshot(
        broker=BrokerStats((QueueStats("chunk", 3, 12.5), QueueStats("embed.openai", 1, None)), 2),
        counters={("requests", "openai", GROUP): 10, ("token_wait_ms", "openai", GROUP): 1500},
        buckets={
            GROUP: BucketStats(
                granted=11, cooldowns=1, cooldown_until_us=3_000_000, requests_per_minute=3000.0
            )
        },
        now_us=1_000_000,
    )
    got = _exposition(snap)
    labels = (("group", GROUP), ("service", "openai"))
    assert got[("inferq_queue_messages", (("queue", "chunk"),))] == 3
    assert got[("inferq_queue_oldest_message_age_seconds", (("queue", "chunk"),))] == 12.5
    assert ("inferq_queue_oldest_message_age_seconds", (("queue", "embed.openai"),)) not in got
    assert got[("inferq_broker_unacked_messages", ())] == 2
    assert got[("inferq_requests_total", labels)] == 10
    assert got[("inferq_responses_429_total", labels)] == 0
    assert got[("inferq_token_wait_seconds_total", labels)] == 1.5
    assert got[("inferq_ratelimit_tokens_granted_total", labels)] == 11
    assert got[("inferq_ratelimit_requests_per_minute", labels)] == 3000
    assert got[("inferq_ratelimit_cooldowns_total", labels)] == 1
    assert got[("inferq_ratelimit_cooldown_remaining_seconds", labels)] == 2.0


def test_families_without_broker_stats_omit_the_queues() -> None:
    """An unreadable broker drops the queue families, not the rest."""
    got = _exposition(Snapshot(None, {("requests", "cohere", GROUP): 1}, {}, 0))
    assert not [k for k in got if k[0].startswith("inferq_queue")]
    assert got[("inferq_requests_total", (("group", GROUP), ("service", "cohere")))] == 1


def test_wsgi_app_guards_metrics_but_not_health() -> None:
    """401 with a Basic challenge without credentials; health path open; 200 with them."""
    app = make_app(CollectorRegistry(), (("u", "p"),))
    seen: list[tuple[str, list[tuple[str, str]]]] = []

    def start(status: str, headers: list[tuple[str, str]], *_: object) -> None:
        seen.append((status, headers))

    assert b"".join(app({"PATH_INFO": "/-/healthy", "REQUEST_METHOD": "GET"}, start)) == b"ok\n"
    app({"PATH_INFO": "/metrics", "REQUEST_METHOD": "GET"}, start)
    assert seen[-1][0].startswith("401")
    assert ("WWW-Authenticate", 'Basic realm="inferq"') in seen[-1][1]
    env = {"PATH_INFO": "/metrics", "REQUEST_METHOD": "GET", "QUERY_STRING": "",
           "HTTP_AUTHORIZATION": basic("u", "p")}  # fmt: skip
    app(env, start)
    assert seen[-1][0].startswith("200")
