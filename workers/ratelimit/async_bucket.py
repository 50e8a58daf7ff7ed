"""The global token bucket for the embed worker's event loop (``redis.asyncio``).

Same script and semantics as :class:`~workers.ratelimit.RedisTokenBucket`; the waits are
``asyncio.sleep`` and the round trips are awaited, so the loop keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import redis.asyncio

from workers.ratelimit import core
from workers.ratelimit.core import BucketStats, Reservation, TokenWaitTooLongError

log = logging.getLogger(__name__)


class AsyncRedisTokenBucket:
    """One token bucket per rate-limit group, in Redis, shared by every process and host.

    Create it in the worker process's event loop (after fork), with that loop's client.

    Args:
        client: a ``redis.asyncio`` client (bytes or decoded replies both work).
        burst: bucket capacity in requests (default 1: Elasticsearch's strict pacing).
        max_wait_s: longest :meth:`acquire` waits for a token before it raises
            :class:`TokenWaitTooLongError` (``WorkerSettings.token_wait_max_s``; default 300 s).
        ttl_s: a group's hash expires after this long without a call (default 10 days).
        sleep: how to wait (s); tests may inject one.
        clock: monotonic seconds, for the ``max_wait_s`` budget.
    """

    def __init__(
        self,
        client: redis.asyncio.Redis[Any],
        *,
        burst: int = core.DEFAULT_BURST,
        max_wait_s: float = core.DEFAULT_MAX_WAIT_S,
        ttl_s: int = core.DEFAULT_TTL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
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
        return f"AsyncRedisTokenBucket(burst={self.burst}, max_wait_s={self.max_wait_s})"

    async def reserve(
        self, group: str, requests_per_minute: float, *, max_wait_s: float | None = None
    ) -> Reservation:
        """Reserve the group's next token without waiting (one round trip).

        See :meth:`workers.ratelimit.RedisTokenBucket.reserve`.
        """
        limit_s = self.max_wait_s if max_wait_s is None else max_wait_s
        args = core.reserve_args(requests_per_minute, self.burst, limit_s, self.ttl_s)
        reply = await self._script(keys=[core.bucket_key(group)], args=args)
        return core.parse_reservation(group, reply)

    async def is_cancelled(self, reservation: Reservation) -> bool:
        """True when a cooldown set since the reservation covers its slot (one round trip)."""
        until = await self._client.hget(core.bucket_key(reservation.group), "cooldown_until_us")
        return core.is_cancelled(reservation, until)

    async def acquire(self, group: str, requests_per_minute: float) -> Reservation:
        """Take a token of the group, sleeping until its slot; await before every HTTP attempt.

        :meth:`wait_for_slot` then :meth:`confirm`. See
        :meth:`workers.ratelimit.RedisTokenBucket.acquire`.

        Raises:
            TokenWaitTooLongError: the token is more than ``max_wait_s`` away; requeue.
        """
        reservation = await self.wait_for_slot(group, requests_per_minute)
        return await self.confirm(reservation, requests_per_minute)

    async def wait_for_slot(self, group: str, requests_per_minute: float) -> Reservation:
        """Reserve the group's next token and sleep until its slot (the long wait).

        The send must then be :meth:`confirm`-ed; the embed worker does that at the last moment,
        when the request is built and its connection ready (see ``workers.services.http``).

        Raises:
            TokenWaitTooLongError: the token is more than ``max_wait_s`` away; requeue.
        """
        reservation = await self.reserve(group, requests_per_minute)
        if not reservation.granted:
            log.info(
                "ratelimit.wait_too_long group=%s wait_s=%.3f max_wait_s=%.3f",
                group,
                reservation.wait_s,
                self.max_wait_s,
            )
            raise TokenWaitTooLongError(group, reservation.wait_s, self.max_wait_s)
        if reservation.wait_s > 0:
            await self._sleep(reservation.wait_s)
        return reservation

    async def confirm(self, reservation: Reservation, requests_per_minute: float) -> Reservation:
        """Confirm the send on Redis's clock, right before it leaves (see token_bucket.lua).

        A caller whose predecessor left late, or that a cooldown caught, waits the difference
        and asks again. Returns the reservation with the total wait and the send time.

        Raises:
            TokenWaitTooLongError: the waits exceed ``max_wait_s`` (a long cooldown).
        """
        args = core.confirm_args(requests_per_minute, self.burst, self.ttl_s)
        waited_s = reservation.wait_s
        while True:
            go, wait_s, now_us = core.parse_confirm(
                await self._script(keys=[core.bucket_key(reservation.group)], args=args)
            )
            if go:
                # The token is used now: report the send time and every wait imposed.
                return replace(reservation, wait_s=waited_s, slot_us=now_us)
            if waited_s + wait_s > self.max_wait_s:
                raise TokenWaitTooLongError(reservation.group, waited_s + wait_s, self.max_wait_s)
            waited_s += wait_s
            await self._sleep(wait_s)

    async def sent(self, group: str) -> None:
        """Record that the group's confirmed request has left (its head is written).

        The next send then keeps 60/rpm from this moment rather than from the confirmation, so
        a delay between confirming and writing is not passed on to the provider as a short gap.
        """
        await self._script(keys=[core.bucket_key(group)], args=core.sent_args(self.ttl_s))

    async def cooldown(self, group: str, seconds: float) -> float:
        """Pause the group for every worker (a 429's ``Retry-After``); returns seconds left.

        See :meth:`workers.ratelimit.RedisTokenBucket.cooldown`.
        """
        reply = await self._script(
            keys=[core.bucket_key(group)], args=core.cooldown_args(seconds, self.ttl_s)
        )
        left_s = core.parse_cooldown(reply)
        log.info(
            "ratelimit.cooldown_set group=%s cooldown_s=%.3f left_s=%.3f", group, seconds, left_s
        )
        return left_s

    async def stats(self, group: str) -> BucketStats:
        """The group's counters (tokens granted, total wait, cooldowns)."""
        return core.parse_stats(await self._client.hgetall(core.bucket_key(group)))
