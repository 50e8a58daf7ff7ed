"""decide(): every branch, with a seeded rng and elapsed time passed in (no clock, no sleeping)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import (
    ConfigurationError,
    ContentTooLargeError,
    PermanentServiceError,
    RateLimitedError,
    ServerError,
    ServiceConnectionError,
    ServiceTimeoutError,
)
from pipeline.settings import WorkerSettings
from workers.retry import (
    GiveUp,
    RetryAfter,
    RetryPolicy,
    ShareCooldown,
    SplitBatch,
    TruncateInput,
    decide,
    truncate,
)

POLICY = RetryPolicy(max_attempts=5, max_total_s=30.0, initial_delay_s=1.0, max_delay_s=5.0)


def rate_limited(retry_after_s: float | None = None) -> RateLimitedError:
    """A 429 as an adapter raises it."""
    return RateLimitedError(
        "Received a rate limit status code for request from inference entity id [e] status [429]",
        service="openai",
        status_code=429,
        retry_after_s=retry_after_s,
    )


def too_large() -> ContentTooLargeError:
    """A 413 as an adapter raises it."""
    return ContentTooLargeError("too large", service="openai", status_code=413)


def test_policy_from_settings() -> None:
    """The policy carries the worker settings' four retry fields."""
    settings = WorkerSettings(
        retry_max_attempts=3,
        retry_max_total_s=10.0,
        retry_initial_delay_s=0.5,
        retry_max_delay_s=2.0,
    )
    assert RetryPolicy.from_settings(settings) == RetryPolicy(3, 10.0, 0.5, 2.0)


def test_policy_repr_is_readable() -> None:
    """The repr names every bound with its unit."""
    assert repr(POLICY) == (
        "RetryPolicy(max_attempts=5, max_total_s=30.0, initial_delay_s=1.0, max_delay_s=5.0)"
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"max_total_s": 0.0}, {"initial_delay_s": -1.0}, {"max_delay_s": 0.5}],
)
def test_policy_rejects_bad_bounds(kwargs: dict[str, float]) -> None:
    """Non-positive bounds and a max delay below the initial one are configuration errors."""
    with pytest.raises(ConfigurationError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_non_service_error_gives_up() -> None:
    """Exceptions that are not provider failures are not ours to retry."""
    assert decide(KeyError("x"), 1, 0.0, POLICY, random.Random(0)) == GiveUp("not_a_service_error")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_permanent_gives_up_at_once(status: int) -> None:
    """A permanent error gives up on the first attempt, with budget left."""
    exc = PermanentServiceError("bad", service="openai", status_code=status)
    assert decide(exc, 1, 0.0, POLICY, random.Random(0)) == GiveUp("permanent")


@pytest.mark.parametrize(
    "exc",
    [
        ServerError("5xx", service="openai", status_code=503),
        ServiceTimeoutError("timeout", service="openai"),
        ServiceConnectionError("reset", service="openai"),
        rate_limited(None),
    ],
)
def test_transient_without_retry_after_backs_off(exc: Exception) -> None:
    """5xx, timeouts, resets and a bare 429 wait the jittered backoff of the first bound."""
    decision = decide(exc, 1, 0.0, POLICY, random.Random(7))
    assert isinstance(decision, RetryAfter)
    assert decision.reason == "backoff"
    assert 0.501 <= decision.delay_s <= 1.0


def test_backoff_bounds_double_up_to_max_delay() -> None:
    """Delays stay in Elasticsearch's [B - (B+1)//2 + 1, B] ms with B = 1, 2, 4, 5, 5 s."""
    policy = RetryPolicy(max_attempts=100, max_total_s=1e6, initial_delay_s=1.0, max_delay_s=5.0)
    rng = random.Random(42)
    expected_bounds_ms = [1000, 2000, 4000, 5000, 5000, 5000]
    for attempt, bound_ms in enumerate(expected_bounds_ms, start=1):
        delays_ms = {round(policy.backoff_s(attempt, rng) * 1000) for _ in range(400)}
        low_ms = bound_ms - (bound_ms + 1) // 2 + 1
        assert min(delays_ms) >= low_ms
        assert max(delays_ms) <= bound_ms
        # Jitter really spreads over the range (both halves are hit).
        assert min(delays_ms) < (low_ms + bound_ms) / 2 < max(delays_ms)


def test_backoff_is_reproducible_with_a_seed() -> None:
    """The same seed gives the same delays: tests and replays are deterministic."""
    first = [decide(rate_limited(), n, 0.0, POLICY, random.Random(3)) for n in (1, 2, 3)]
    again = [decide(rate_limited(), n, 0.0, POLICY, random.Random(3)) for n in (1, 2, 3)]
    assert first == again


@pytest.mark.parametrize("retry_after_s", [0.5, 2.0, 12.0])
def test_429_with_retry_after_shares_a_cooldown(retry_after_s: float) -> None:
    """A 429's Retry-After (seconds, ms or date, parsed by the adapter) becomes a shared pause."""
    decision = decide(rate_limited(retry_after_s), 1, 0.0, POLICY, random.Random(0))
    assert decision == ShareCooldown(retry_after_s)


def test_429_with_zero_retry_after_retries_now() -> None:
    """Retry-After: 0 retries at once without pausing the group."""
    decision = decide(rate_limited(0.0), 1, 0.0, POLICY, random.Random(0))
    assert decision == RetryAfter(0.0, "retry_after")


def test_other_transient_with_retry_after_waits_alone() -> None:
    """A 503 with Retry-After waits that long, for this request only (no shared pause)."""
    exc = ServerError("busy", service="openai", status_code=503, retry_after_s=3.0)
    assert decide(exc, 1, 0.0, POLICY, random.Random(0)) == RetryAfter(3.0, "retry_after")


def test_retry_after_beyond_budget_gives_up_but_still_shares() -> None:
    """A Retry-After past the time budget fails now, and the group still pauses."""
    decision = decide(rate_limited(20.0), 2, 15.0, POLICY, random.Random(0))
    assert decision == GiveUp("retry_after_exceeds_budget", cooldown_s=20.0)


def test_attempt_budget() -> None:
    """The max_attempts-th failure gives up; the one before still retries."""
    assert isinstance(decide(rate_limited(), 4, 0.0, POLICY, random.Random(0)), RetryAfter)
    assert decide(rate_limited(), 5, 0.0, POLICY, random.Random(0)) == GiveUp("attempts_exhausted")


def test_time_budget_spent() -> None:
    """Once max_total_s has elapsed, transient errors give up."""
    assert decide(rate_limited(), 1, 30.0, POLICY, random.Random(0)) == GiveUp(
        "time_budget_exhausted"
    )


def test_backoff_past_time_budget_gives_up() -> None:
    """A backoff that would end after the budget gives up now instead of sleeping in vain."""
    decision = decide(rate_limited(), 3, 29.9, POLICY, random.Random(0))
    assert decision == GiveUp("time_budget_exhausted")


def test_413_with_several_inputs_splits() -> None:
    """A 413 for a batch splits it, even with the attempt budget spent (halves are new)."""
    assert decide(too_large(), 5, 1.0, POLICY, random.Random(0), batch_size=8) == SplitBatch()


def test_413_split_respects_time_budget() -> None:
    """No split once the time budget is spent."""
    decision = decide(too_large(), 1, 31.0, POLICY, random.Random(0), batch_size=8)
    assert decision == GiveUp("time_budget_exhausted")


def test_413_single_input_truncates_when_the_adapter_does() -> None:
    """A 413 for one input of a truncating service resends it halved."""
    decision = decide(too_large(), 1, 0.0, POLICY, random.Random(0), truncates_on_413=True)
    assert decision == TruncateInput(0.5)


def test_413_single_input_without_truncation_backs_off() -> None:
    """Services that cannot truncate resend as is after the backoff (reference §f.2)."""
    decision = decide(too_large(), 1, 0.0, POLICY, random.Random(0), truncates_on_413=False)
    assert isinstance(decision, RetryAfter)
    assert decision.reason == "backoff"


def test_413_truncation_is_bounded_by_attempts() -> None:
    """Repeated truncation stops at the attempt budget."""
    decision = decide(too_large(), 5, 0.0, POLICY, random.Random(0), truncates_on_413=True)
    assert decision == GiveUp("attempts_exhausted")


@pytest.mark.parametrize(("text", "kept"), [("abcdefg", "abc"), ("ab", "a"), ("a", ""), ("", "")])
def test_truncate_keeps_floor_half(text: str, kept: str) -> None:
    """truncate keeps floor(len * 0.5) characters."""
    assert truncate(text) == kept


def test_truncate_counts_code_points() -> None:
    """Astral characters count as one character each."""
    assert truncate("😀😀😀😀") == "😀😀"


@given(
    attempt=st.integers(1, 20),
    elapsed_s=st.floats(0, 200, allow_nan=False),
    retry_after_s=st.none() | st.floats(0, 100, allow_nan=False),
    seed=st.integers(0, 2**32),
)
def test_no_wait_ends_past_the_budget(
    attempt: int, elapsed_s: float, retry_after_s: float | None, seed: int
) -> None:
    """Whatever the inputs, a retry is scheduled only within both budgets."""
    decision = decide(rate_limited(retry_after_s), attempt, elapsed_s, POLICY, random.Random(seed))
    wait_s = None
    if isinstance(decision, RetryAfter):
        wait_s = decision.delay_s
    elif isinstance(decision, ShareCooldown):
        wait_s = decision.cooldown_s
    if wait_s is not None:
        assert attempt < POLICY.max_attempts
        assert elapsed_s + wait_s < POLICY.max_total_s
