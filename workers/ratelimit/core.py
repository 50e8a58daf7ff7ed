"""What the sync and async buckets share: group ids, keys, the Lua script and its replies."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pipeline.constants import RATE_LIMIT_KEY, RATE_LIMIT_TTL_S, key
from pipeline.errors import ConfigurationError, InferqError

# 32 hex digits (128 bits) of sha256: collisions would merge two groups' buckets.
GROUP_ID_HEX_CHARS = 32
_GROUP_ID = re.compile(rf"[0-9a-f]{{{GROUP_ID_HEX_CHARS}}}")
# Separates our hashes from any other sha256 of the same material.
_GROUP_ID_DOMAIN = b"inferq.ratelimit.group\x00"

LUA_SOURCE = resources.files(__package__).joinpath("token_bucket.lua").read_text("utf-8")

DEFAULT_BURST = 1  # Elasticsearch's bucket size: strict pacing, one request every 60/rpm s.
DEFAULT_MAX_WAIT_S = 300.0  # WorkerSettings.token_wait_max_s's default
DEFAULT_TTL_S = RATE_LIMIT_TTL_S


def group_id(grouping_material: str) -> str:
    """The id of a rate-limit group: truncated sha256 hex of its grouping material.

    Args:
        grouping_material: what reference §e.3 groups by (``ServiceAdapter.rate_limit_group``);
            it may contain api keys, so it is never stored or logged, only this hash.

    Returns:
        32 lowercase hex digits, safe to put in keys, logs and metrics.
    """
    digest = hashlib.sha256(_GROUP_ID_DOMAIN + grouping_material.encode("utf-8"))
    return digest.hexdigest()[:GROUP_ID_HEX_CHARS]


def bucket_key(group: str) -> str:
    """The Redis hash of a group (``inferq:rl:<group id>``).

    Raises:
        ValueError: ``group`` is not a :func:`group_id` (a guard against passing raw material,
            which could carry an api key; the value is deliberately not in the message).
    """
    if not _GROUP_ID.fullmatch(group):
        raise ValueError("rate-limit group must be group_id(material), never the material itself")
    return key(RATE_LIMIT_KEY, group=group)


class TokenWaitTooLongError(InferqError):
    """The next token of a group is further away than the caller may wait: requeue instead.

    Attributes:
        group: the group id.
        wait_s: how long the token is away (s), per Redis's clock at the time of asking.
        max_wait_s: the longest wait the caller accepted (s).
    """

    def __init__(self, group: str, wait_s: float, max_wait_s: float) -> None:
        self.group = group
        self.wait_s = wait_s
        self.max_wait_s = max_wait_s
        super().__init__(
            f"rate-limit group [{group}] has no token for {wait_s:.3f}s, "
            f"longer than the allowed wait of {max_wait_s:.3f}s"
        )


@dataclass(frozen=True)
class Reservation:
    """A reserved token, or the refusal to reserve one.

    Attributes:
        group: the group id.
        granted: True when the token is reserved for ``slot_us``; False when the wait would
            exceed the caller's limit (nothing was reserved).
        wait_s: seconds from the reply until ``slot_us`` (0 when the token is free now).
        slot_us: when the token may be used, in Redis's clock (µs since the epoch).
    """

    group: str
    granted: bool
    wait_s: float
    slot_us: int


@dataclass(frozen=True)
class BucketStats:
    """Counters of one group, for metrics (all zero for an unknown or expired group).

    Attributes:
        granted: tokens handed out since the bucket was created.
        wait_total_s: the sum of the waits of those tokens (s).
        cooldowns: shared pauses set (429 with ``Retry-After``).
        cooldown_until_us: end of the latest pause, Redis clock (µs; 0 if none).
        requests_per_minute: the rate the group was last called with (0.0 if never).
    """

    granted: int = 0
    wait_total_s: float = 0.0
    cooldowns: int = 0
    cooldown_until_us: int = 0
    requests_per_minute: float = 0.0


def check_burst(burst: int) -> None:
    """Reject a bucket capacity below one request.

    Raises:
        ConfigurationError: ``burst`` < 1.
    """
    if burst < 1:
        raise ConfigurationError(f"burst must be at least 1, got {burst!r}")


def check_rate(requests_per_minute: float) -> None:
    """Reject a rate the script cannot use.

    Raises:
        ConfigurationError: a non-positive or non-finite rate.
    """
    if not (math.isfinite(requests_per_minute) and requests_per_minute > 0):
        raise ConfigurationError(
            f"requests_per_minute must be positive and finite, got {requests_per_minute!r}"
        )


def reserve_args(
    requests_per_minute: float, burst: int, max_wait_s: float, ttl_s: int
) -> list[str]:
    """ARGV of the script's ``reserve``."""
    check_rate(requests_per_minute)
    check_burst(burst)
    max_wait_us = math.floor(max(max_wait_s, 0.0) * 1e6)
    return ["reserve", repr(float(requests_per_minute)), str(burst), str(max_wait_us), str(ttl_s)]


def cooldown_args(seconds: float, ttl_s: int) -> list[str]:
    """ARGV of the script's ``cooldown``."""
    return ["cooldown", str(math.ceil(max(seconds, 0.0) * 1e6)), str(ttl_s)]


def confirm_args(requests_per_minute: float, burst: int, ttl_s: int) -> list[str]:
    """ARGV of the script's ``confirm``: the gap is 60/rpm with bucket size 1, none with bursts."""
    check_rate(requests_per_minute)
    gap_us = math.ceil(60e6 / requests_per_minute) if burst == 1 else 0
    return ["confirm", str(gap_us), str(ttl_s)]


def sent_args(ttl_s: int) -> list[str]:
    """ARGV of the script's ``sent``: record that a confirmed request has left."""
    return ["sent", str(ttl_s)]


def parse_confirm(reply: Any) -> tuple[bool, float, int]:
    """The script's ``{go, wait_us, now_us}``: send now?, else seconds to wait; Redis's time."""
    go, wait_us, now_us = (int(x) for x in reply)
    return go == 1, max(wait_us, 0) / 1e6, now_us


def parse_reservation(group: str, reply: Any) -> Reservation:
    """The script's ``{granted, wait_us, slot_us}`` as a :class:`Reservation`."""
    granted, wait_us, slot_us = (int(x) for x in reply)
    return Reservation(group, granted == 1, max(wait_us, 0) / 1e6, slot_us)


def parse_cooldown(reply: Any) -> float:
    """Seconds left of the pause, from the script's ``{cooldown_until_us, now_us}``."""
    until_us, now_us = (int(x) for x in reply)
    return max(until_us - now_us, 0) / 1e6


def is_cancelled(reservation: Reservation, cooldown_until_us: Any) -> bool:
    """True when a pause set after the reservation covers its slot (the token is void)."""
    return cooldown_until_us is not None and int(cooldown_until_us) > reservation.slot_us


def parse_stats(fields: dict[Any, Any]) -> BucketStats:
    """A bucket hash (bytes or str keys) as :class:`BucketStats`."""
    f = {k.decode() if isinstance(k, bytes) else k: v for k, v in fields.items()}
    return BucketStats(
        granted=int(f.get("granted", 0)),
        wait_total_s=int(f.get("wait_us", 0)) / 1e6,
        cooldowns=int(f.get("cooldowns", 0)),
        cooldown_until_us=int(f.get("cooldown_until_us", 0)),
        requests_per_minute=float(f.get("rpm", 0.0)),
    )
