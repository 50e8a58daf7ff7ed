"""The one function that decides what happens after a failed provider call: :func:`decide`.

Exception in, decision out; no sleeping, no clock, no I/O, so every branch is testable with a seeded
``random.Random``. The caller measures time, acts, and logs the decision
(``embed.retry_scheduled service=openai attempt=2 wait_s=1.7``).

Which statuses are retryable is the adapters' call (reference §f.3): they raise
:class:`~pipeline.errors.TransientServiceError` subclasses or
:class:`~pipeline.errors.PermanentServiceError`, with ``retry_after_s`` parsed from ``Retry-After``
(seconds or HTTP date) or ``retry-after-ms``. Here:

=====================================================  ===========================================
failure                                                decision
=====================================================  ===========================================
not a ``ServiceError`` (a bug, Redis down, settings)   ``GiveUp("not_a_service_error")``: not ours
                                                       to retry; the task layer reports it
``PermanentServiceError`` (401, 400, 404, ...)         ``GiveUp("permanent")`` at once
``ContentTooLargeError``, batch of more than 1         ``SplitBatch``: resend the halves now
``ContentTooLargeError``, 1 input, adapter truncates   ``TruncateInput``: resend it halved (§f.2)
attempts or time budget used up                        ``GiveUp("attempts_exhausted" | "time_...")``
429 with ``retry_after_s``                             ``ShareCooldown``: pause the whole group
other transient with ``retry_after_s``                 ``RetryAfter(retry_after_s)``
other transient (5xx, timeouts, resets, 429 bare, 413  ``RetryAfter`` jittered backoff (§f.2)
for a service that cannot truncate)
=====================================================  ===========================================

Budgets: at most ``max_attempts`` attempts, and the next attempt must start within ``max_total_s``
of the first. A wait that would end past the budget gives up now rather than sleep for nothing; a
429 whose ``Retry-After`` exceeds the budget gives up with ``retry_after_exceeds_budget`` and still
carries ``cooldown_s``, because the provider's pause applies to the whole group either way. (Not
requeued: the job reports the failure and can be resumed; an unbounded request is what the budget
forbids.) A split is not an attempt: the halves are new requests, whose attempts restart at 0 and
whose clock keeps the parent's start; their depth is bounded by log2 of the batch size.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from pipeline.errors import (
    ConfigurationError,
    ContentTooLargeError,
    RateLimitedError,
    ServiceError,
    TransientServiceError,
)
from pipeline.settings import WorkerSettings

# Elasticsearch's xpack.inference.truncator.reducation_percentage: keep floor(len * 0.5) chars.
TRUNCATION_RATIO = 0.5


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop (defaults: ``WorkerSettings``'s).

    Attributes:
        max_attempts: attempts per request, the first included.
        max_total_s: the next attempt must start within this many seconds of the first.
        initial_delay_s: first backoff bound B (Elasticsearch: 1 s); delays are uniform in
            ≈[B/2, B] and B doubles after each failure.
        max_delay_s: largest backoff bound (Elasticsearch: 5 s).
    """

    max_attempts: int = 8
    max_total_s: float = 120.0
    initial_delay_s: float = 1.0
    max_delay_s: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("max_total_s", "initial_delay_s", "max_delay_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigurationError(f"{name} must be positive and finite, got {value!r}")
        if self.max_delay_s < self.initial_delay_s:
            raise ConfigurationError("max_delay_s must not be below initial_delay_s")

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> RetryPolicy:
        """The policy of a worker process's settings (``INFERQ_RETRY_*``)."""
        return cls(
            max_attempts=settings.retry_max_attempts,
            max_total_s=settings.retry_max_total_s,
            initial_delay_s=settings.retry_initial_delay_s,
            max_delay_s=settings.retry_max_delay_s,
        )

    def backoff_bound_s(self, attempt: int) -> float:
        """The bound B after ``attempt`` failed attempts: initial * 2^(attempt-1), capped (s)."""
        return min(self.initial_delay_s * 2.0 ** (attempt - 1), self.max_delay_s)

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        """Elasticsearch's jittered delay: uniform whole ms in [B - (B+1)//2 + 1, B] (s)."""
        bound_ms = max(1, round(self.backoff_bound_s(attempt) * 1000))
        spread_ms = (bound_ms + 1) // 2
        return rng.randint(bound_ms - spread_ms + 1, bound_ms) / 1000


@dataclass(frozen=True)
class GiveUp:
    """Fail the request with the exception's message (the provider's, in the reference's text).

    Attributes:
        reason: ``not_a_service_error``, ``permanent``, ``attempts_exhausted``,
            ``time_budget_exhausted`` or ``retry_after_exceeds_budget``.
        cooldown_s: set for a 429 whose ``Retry-After`` exceeds the budget: still share it
            with ``bucket.cooldown(group, cooldown_s)`` (s).
    """

    reason: str
    cooldown_s: float | None = None


@dataclass(frozen=True)
class RetryAfter:
    """Wait ``delay_s`` (this request only), then retry.

    Attributes:
        delay_s: seconds to wait; 0 means retry now.
        reason: ``backoff`` (jittered) or ``retry_after`` (the provider's ``Retry-After``).
    """

    delay_s: float
    reason: str


@dataclass(frozen=True)
class ShareCooldown:
    """A 429 with ``Retry-After``: call ``bucket.cooldown(group, cooldown_s)``, then retry.

    No sleep of its own: the next ``bucket.acquire`` waits out the pause, for this worker and
    every other worker of the group.

    Attributes:
        cooldown_s: the provider's ``Retry-After`` (s).
    """

    cooldown_s: float


@dataclass(frozen=True)
class SplitBatch:
    """A 413 for several inputs: send each half as a new request, now."""


@dataclass(frozen=True)
class TruncateInput:
    """A 413 for one input: resend it cut by :func:`truncate`, now, and mark it truncated.

    Attributes:
        ratio: the share of characters kept (Elasticsearch: 0.5).
    """

    ratio: float = TRUNCATION_RATIO


Decision = GiveUp | RetryAfter | ShareCooldown | SplitBatch | TruncateInput


def truncate(text: str, ratio: float = TRUNCATION_RATIO) -> str:
    """The first ``floor(len(text) * ratio)`` characters (code points), as reference §f.2."""
    return text[: math.floor(len(text) * ratio)]


def decide(
    exc: BaseException,
    attempt: int,
    elapsed_s: float,
    policy: RetryPolicy,
    rng: random.Random,
    *,
    batch_size: int = 1,
    truncates_on_413: bool = False,
) -> Decision:
    """Decide what to do after a failed provider call (see the module docstring's table).

    Args:
        exc: what the call raised.
        attempt: attempts made so far, the failed one included (1 after the first failure).
        elapsed_s: seconds since the request's first attempt started.
        policy: the bounds.
        rng: the jitter's source (seeded in tests).
        batch_size: inputs in the failed request.
        truncates_on_413: the adapter's ``truncates_on_413``.

    Returns:
        One of :class:`GiveUp`, :class:`RetryAfter`, :class:`ShareCooldown`,
        :class:`SplitBatch`, :class:`TruncateInput`.
    """
    if not isinstance(exc, ServiceError):
        return GiveUp("not_a_service_error")
    if not isinstance(exc, TransientServiceError):
        return GiveUp("permanent")
    left_s = policy.max_total_s - elapsed_s
    if isinstance(exc, ContentTooLargeError) and batch_size > 1:
        return SplitBatch() if left_s > 0 else GiveUp("time_budget_exhausted")
    if attempt >= policy.max_attempts:
        return GiveUp("attempts_exhausted")
    if left_s <= 0:
        return GiveUp("time_budget_exhausted")
    if isinstance(exc, ContentTooLargeError) and truncates_on_413:
        return TruncateInput()
    if exc.retry_after_s is not None:
        wait_s = max(exc.retry_after_s, 0.0)
        shared = isinstance(exc, RateLimitedError) and wait_s > 0
        if wait_s >= left_s:
            return GiveUp("retry_after_exceeds_budget", cooldown_s=wait_s if shared else None)
        return ShareCooldown(wait_s) if shared else RetryAfter(wait_s, "retry_after")
    delay_s = policy.backoff_s(attempt, rng)
    if delay_s >= left_s:
        return GiveUp("time_budget_exhausted")
    return RetryAfter(delay_s, "backoff")
