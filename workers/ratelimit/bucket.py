"""The global token bucket with a blocking client: benchmarks, tests and sync tools.

The embed worker, which runs an event loop, uses :class:`~workers.ratelimit.AsyncRedisTokenBucket`
(same semantics, ``redis.asyncio``), so that a Redis round trip never blocks its other requests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import redis

from workers.ratelimit import core
from workers.ratelimit.core import BucketStats, Reservation, TokenWaitTooLongError

log = logging.getLogger(__name__)


class RedisTokenBucket:
    """One token bucket per rate-limit group, in Redis, shared by every process and host.

    Args:
        client: a redis-py client (bytes or decoded replies both work).
        burst: bucket capacity in requests (default 1: Elasticsearch's strict pacing).
        max_wait_s: longest :meth:`acquire` waits for a token before it raises
            :class:`TokenWaitTooLongError` (``WorkerSettings.token_wait_max_s``; default 300 s).
        ttl_s: a group's hash expires after this long without a call (default 10 days).
        sleep: how to wait (s); tests may inject one.
        clock: monotonic seconds, for the ``max_wait_s`` budget.
    """

    def __init__(
        self,
        client: redis.Redis[Any],
        *,
        burst: int = core.DEFAULT_BURST,
        max_wait_s: float = core.DEFAULT_MAX_WAIT_S,
        ttl_s: int = core.DEFAULT_TTL_S,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        core.check_burst(burst)
        self._client = client
        self._script = client.register_script(core.LUA_SOURCE)
        self.burst = burst
        self.max_wait_s = max_wait_s
        self.ttl_s = ttl_s
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"RedisTokenBucket(burst={self.burst}, max_wait_s={self.max_wait_s})"

    def reserve(
        self, group: str, requests_per_minute: float, *, max_wait_s: float | None = None
    ) -> Reservation:
        """Reserve the group's next token without waiting (one round trip).

        Args:
            group: a :func:`~workers.ratelimit.group_id`.
            requests_per_minute: the endpoint's rate; the group refills at the rate it was
                last called with.
            max_wait_s: refuse (reserve nothing) when the token is further away than this;
                defaults to the bucket's ``max_wait_s``.

        Returns:
            The reservation: the caller may send ``wait_s`` seconds from now, not before, and
            should check :meth:`is_cancelled` after a non-zero wait.
        """
        limit_s = self.max_wait_s if max_wait_s is None else max_wait_s
        args = core.reserve_args(requests_per_minute, self.burst, limit_s, self.ttl_s)
        reply = self._script(keys=[core.bucket_key(group)], args=args)
        return core.parse_reservation(group, reply)

    def is_cancelled(self, reservation: Reservation) -> bool:
        """True when a cooldown set since the reservation covers its slot (one round trip)."""
        until = self._client.hget(core.bucket_key(reservation.group), "cooldown_until_us")
        return core.is_cancelled(reservation, until)

    def acquire(self, group: str, requests_per_minute: float) -> Reservation:
        """Take a token of the group, sleeping until its slot; call before every HTTP attempt.

        Two round trips: the reservation (a slot, FIFO among callers), then, at the slot, the
        send's confirmation on Redis's clock: not during a cooldown, and never closer than
        60/rpm to the group's previous send, however late that one left. A caller told to wait
        sleeps the difference and confirms again. The returned ``wait_s`` is the total wait.

        Raises:
            TokenWaitTooLongError: the token is more than ``max_wait_s`` away (a long cooldown
                or a deep queue); nothing is reserved, and the caller should requeue.
        """
        started = self._clock()
        reservation = self.reserve(group, requests_per_minute)
        if not reservation.granted:
            log.info(
                "ratelimit.wait_too_long group=%s wait_s=%.3f max_wait_s=%.3f",
                group,
                reservation.wait_s,
                self.max_wait_s,
            )
            raise TokenWaitTooLongError(group, reservation.wait_s, self.max_wait_s)
        if reservation.wait_s > 0:
            self._sleep(reservation.wait_s)
        # The send itself is confirmed on Redis's clock (see token_bucket.lua): a caller whose
        # predecessor left late, or that a cooldown caught, waits the difference and asks again.
        args = core.confirm_args(requests_per_minute, self.burst, self.ttl_s)
        waited_s = reservation.wait_s
        while True:
            go, wait_s, now_us = core.parse_confirm(
                self._script(keys=[core.bucket_key(group)], args=args)
            )
            if go:
                # The token is used now: report the send time and every wait imposed.
                return replace(reservation, wait_s=waited_s, slot_us=now_us)
            waited_s += wait_s
            if self._clock() - started + wait_s > self.max_wait_s:
                raise TokenWaitTooLongError(group, waited_s, self.max_wait_s)
            self._sleep(wait_s)

    def cooldown(self, group: str, seconds: float) -> float:
        """Pause the group for every worker: no token is handed out for ``seconds``.

        Extends, never shortens, a pause already set (``max`` of both ends, Redis clock).
        Reservations falling inside the pause are voided; their holders reserve again.

        Returns:
            Seconds until the pause ends.
        """
        reply = self._script(
            keys=[core.bucket_key(group)], args=core.cooldown_args(seconds, self.ttl_s)
        )
        left_s = core.parse_cooldown(reply)
        log.info(
            "ratelimit.cooldown_set group=%s cooldown_s=%.3f left_s=%.3f", group, seconds, left_s
        )
        return left_s

    def stats(self, group: str) -> BucketStats:
        """The group's counters (tokens granted, total wait, cooldowns)."""
        return core.parse_stats(self._client.hgetall(core.bucket_key(group)))
