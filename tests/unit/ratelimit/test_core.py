"""The limiter's pure parts: group ids, keys, script arguments and replies (no Redis)."""

from __future__ import annotations

import math

import pytest

from pipeline.errors import ConfigurationError
from workers.ratelimit import Reservation, bucket_key, core, group_id

CANARY = "https://hf.example|sk-CANARY-secret-0123"


def test_group_id_is_stable_hex_without_the_material() -> None:
    """Equal material gives one 32-hex id, different material another; no material leaks."""
    gid = group_id(CANARY)
    assert gid == group_id(CANARY)
    assert gid != group_id(CANARY + "x")
    assert len(gid) == 32
    assert int(gid, 16) >= 0
    assert "CANARY" not in gid


def test_bucket_key_uses_the_constants_template() -> None:
    """The bucket hash is inferq:rl:<group id>."""
    gid = group_id(CANARY)
    assert bucket_key(gid) == f"inferq:rl:{gid}"


@pytest.mark.parametrize("bad", [CANARY, "ABCDEF", "", "g" * 32])
def test_bucket_key_refuses_raw_material(bad: str) -> None:
    """Anything but a group id is refused, and the error does not repeat it."""
    with pytest.raises(ValueError, match="group_id") as info:
        bucket_key(bad)
    assert CANARY not in str(info.value)


@pytest.mark.parametrize(("rpm", "burst"), [(0, 1), (-5, 1), (float("inf"), 1), (60, 0)])
def test_bad_rates_are_configuration_errors(rpm: float, burst: int) -> None:
    """A non-positive or infinite rate, or a burst below 1, cannot reach the script."""
    with pytest.raises(ConfigurationError):
        core.reserve_args(rpm, burst, 1.0, 60)


def test_reserve_args_units() -> None:
    """The wait limit travels in whole µs and the rate as a float string."""
    assert core.reserve_args(3000, 1, 0.25, 60) == ["reserve", "3000.0", "1", "250000", "60"]
    assert core.reserve_args(3000, 1, -1.0, 60)[3] == "0"


def test_cooldown_args_round_up_to_us() -> None:
    """A pause is never shortened by rounding."""
    assert core.cooldown_args(1.0000001, 60) == ["cooldown", "1000001", "60"]


def test_parse_reservation() -> None:
    """Replies become seconds, and a refused reply is not granted."""
    gid = group_id(CANARY)
    assert core.parse_reservation(gid, [1, 20_000, 5]) == Reservation(gid, True, 0.02, 5)
    assert core.parse_reservation(gid, [0, 9_000_000, 5]).granted is False


def test_cancelled_only_by_a_cooldown_past_the_slot() -> None:
    """A reservation is void when a cooldown ends after its slot, valid otherwise."""
    r = Reservation(group_id(CANARY), True, 0.1, 1_000)
    assert core.is_cancelled(r, b"1001")
    assert not core.is_cancelled(r, b"1000")
    assert not core.is_cancelled(r, None)


def test_parse_stats_bytes_and_empty() -> None:
    """Stats read bytes replies, and an unknown group is all zeros."""
    stats = core.parse_stats({b"granted": b"3", b"wait_us": b"1500000", b"rpm": b"600.0"})
    assert (stats.granted, stats.wait_total_s, stats.requests_per_minute) == (3, 1.5, 600.0)
    assert core.parse_stats({}) == core.BucketStats()


def test_lua_script_is_packaged() -> None:
    """The script ships as a .lua file next to the module and reads Redis's clock."""
    assert "redis.call('TIME')" in core.LUA_SOURCE


def test_confirm_args_gap_is_one_interval_with_strict_pacing() -> None:
    """Bucket size 1: sends must be 60/rpm apart (µs, rounded up); bursts disable the gap."""
    assert core.confirm_args(1200.0, 1, 60) == ["confirm", "50000", "60"]
    assert core.confirm_args(7.0, 1, 60) == ["confirm", str(math.ceil(60e6 / 7)), "60"]
    assert core.confirm_args(1200.0, 5, 60)[1] == "0"


def test_parse_confirm_reads_go_wait_and_time() -> None:
    """{go, wait_us, now_us} becomes (go?, seconds to wait, Redis time in µs)."""
    assert core.parse_confirm([1, 0, 123]) == (True, 0.0, 123)
    assert core.parse_confirm([b"0", b"2500", b"9"]) == (False, 0.0025, 9)
