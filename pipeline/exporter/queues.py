"""Queue depth and oldest message age, read from the broker at scrape time.

Redis broker (kombu's Redis transport): a queue is a list; producers ``LPUSH`` and consumers
``BRPOP``, so the oldest message is the list's tail. Messages with a priority other than 0 go to
``<queue>\\x06\\x16<step>`` lists (kombu's priority steps); inferq sends none, but they are counted
if present. The age comes from the ``inferq_enqueued_at`` header every inferq task is sent with
(:data:`pipeline.contract.ENQUEUED_AT_HEADER`); a message without it has no age. Messages a worker
has taken but not acknowledged sit in kombu's ``unacked`` hash, counted separately.

RabbitMQ (``amqp://``): depth from a passive ``queue.declare`` (which creates nothing). AMQP has
no way to look at the head of a queue without taking the message, so there is no age and no
unacked count (RabbitMQ's own Prometheus plugin has both per queue).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from pipeline.contract import ENQUEUED_AT_HEADER

# kombu.transport.redis: separator of priority queue names and the default priority steps.
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)
# kombu.transport.redis: hash of delivered, unacknowledged messages (all queues).
UNACKED_KEY = "unacked"
AMQP_CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class QueueStats:
    """One queue at scrape time.

    Attributes:
        queue: the queue name (``chunk``, ``embed.openai``).
        messages: messages waiting (not yet delivered to a worker).
        oldest_age_s: age of the oldest waiting message (s); 0 for an empty queue; ``None``
            when the broker cannot tell or the message has no enqueue time.
    """

    queue: str
    messages: int
    oldest_age_s: float | None = None


@dataclass(frozen=True)
class BrokerStats:
    """Every queue, and the broker-wide unacked count (``None`` where not known)."""

    queues: tuple[QueueStats, ...]
    unacked: int | None


def priority_keys(queue: str) -> list[str]:
    """The Redis lists of a queue, one per kombu priority step."""
    return [queue if step == 0 else f"{queue}{PRIORITY_SEP}{step}" for step in PRIORITY_STEPS]


def enqueued_at(raw: bytes | None) -> float | None:
    """The ``inferq_enqueued_at`` header (epoch s) of a kombu Redis message, if it has one."""
    if raw is None:
        return None
    try:
        headers = json.loads(raw).get("headers") or {}
        value = headers.get(ENQUEUED_AT_HEADER)
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def redis_url_of_broker(broker_url: str) -> str | None:
    """The redis-py URL of a kombu Redis broker URL, or ``None`` for another transport."""
    if broker_url.startswith("redis+socket://"):
        return "unix://" + broker_url.removeprefix("redis+socket://")
    if broker_url.startswith(("redis://", "rediss://", "unix://")):
        return broker_url
    return None


def redis_broker_stats(
    client: redis.Redis[bytes], queues: Sequence[str], now_s: float
) -> BrokerStats:
    """Depth and oldest age of each queue on a Redis broker (two round trips).

    Args:
        client: a client of the broker's Redis database.
        queues: queue names.
        now_s: the current time (epoch s) ages are measured against.
    """
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        for k in priority_keys(queue):
            pipe.llen(k)
            pipe.lindex(k, -1)
    pipe.hlen(UNACKED_KEY)
    replies = pipe.execute()
    out: list[QueueStats] = []
    steps = len(PRIORITY_STEPS)
    for i, queue in enumerate(queues):
        part = replies[i * 2 * steps : (i + 1) * 2 * steps]
        depth = sum(int(n) for n in part[0::2])
        stamps = [t for t in (enqueued_at(raw) for raw in part[1::2]) if t is not None]
        age = max(now_s - min(stamps), 0.0) if stamps else (0.0 if depth == 0 else None)
        out.append(QueueStats(queue, depth, age))
    return BrokerStats(tuple(out), int(replies[-1]))


def amqp_broker_stats(broker_url: str, queues: Sequence[str]) -> BrokerStats:
    """Depth of each queue on an AMQP broker (passive declare; a missing queue counts 0)."""
    from kombu.connection import Connection

    out: list[QueueStats] = []
    connection = Connection(  # type: ignore[no-untyped-call]
        broker_url, connect_timeout=AMQP_CONNECT_TIMEOUT_S
    )
    with connection as conn:
        conn.ensure_connection(max_retries=1)
        for queue in queues:
            channel = conn.channel()
            try:
                _, count, _ = channel.queue_declare(queue=queue, passive=True)
            except conn.channel_errors:
                count = 0  # 404: never declared, so nothing waits in it
            finally:
                if channel.is_open:
                    channel.close()
            out.append(QueueStats(queue, int(count)))
    return BrokerStats(tuple(out), None)
