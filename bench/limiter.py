"""Benchmark of the Redis token bucket alone: round trips and µs per token, rate accuracy.

``python -m bench.limiter`` (``--redis-url URL`` to use a running Redis; default: an embedded
``redis-server`` in a temporary folder). Prints a markdown table.

Scenarios, each with 1 and 4 spawned processes (asyncio, ``--tasks`` coroutines each):

* ``free``: a rate so high that no caller waits: the cost of one ``acquire`` (µs, client side)
  and Redis commands per token (server side, ``INFO commandstats``).
* ``paced``: ``--rpm`` (default 3000, Elasticsearch's openai/hugging_face default) with burst 1:
  the achieved rate over the run divided by the limit (goal ≥ 0.97), the worst excess over
  ``burst + rate * elapsed`` in any window of slots (must be ≤ 0), and how late callers fire after
  their slot (p50/p99, µs).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import tempfile
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import redis
import redis.asyncio

from workers.ratelimit import AsyncRedisTokenBucket, RedisTokenBucket, group_id

FREE_RPM = 1e12


def _child(
    url: str, group: str, rpm: float, tasks: int, seconds: float, go: Barrier, out: Queue[Any]
) -> None:
    """One process: ``tasks`` coroutines acquire for ``seconds``; report timings."""

    async def main() -> dict[str, list[int]]:
        client = redis.asyncio.Redis.from_url(url)
        bucket = AsyncRedisTokenBucket(client, max_wait_s=60.0)
        await client.ping()
        await bucket.reserve(group_id("warm-up"), FREE_RPM)
        go.wait()
        deadline = time.monotonic() + seconds
        took_ns: list[int] = []
        slots: list[int] = []
        late_us: list[int] = []

        async def loop() -> None:
            while time.monotonic() < deadline:
                start = time.perf_counter_ns()
                r = await bucket.acquire(group, rpm)
                took_ns.append(time.perf_counter_ns() - start)
                slots.append(r.slot_us)
                late_us.append(time.time_ns() // 1000 - r.slot_us)

        await asyncio.gather(*(loop() for _ in range(tasks)))
        await client.aclose()  # type: ignore[attr-defined]  # types-redis predates aclose
        return {"took_ns": took_ns, "slots": slots, "late_us": late_us}

    out.put(asyncio.run(main()))


# Commands a client sends (the script's own TIME/HMGET/HSET/... are counted by Redis too, but
# travel no network): one each is one round trip.
_CLIENT_COMMANDS = ("evalsha", "eval", "script", "hget", "hgetall", "ping")


def _round_trips(client: redis.Redis[Any]) -> int:
    """Client round trips Redis served since the last CONFIG RESETSTAT."""
    stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in _CLIENT_COMMANDS)


def _sync_free(url: str, seconds: float) -> dict[str, str]:
    """The blocking client in this process, no waits: µs per acquire."""
    client: redis.Redis[Any] = redis.Redis.from_url(url)
    bucket = RedisTokenBucket(client)
    group = group_id(f"bench|sync|{time.time_ns()}")
    bucket.reserve(group_id("warm-up"), FREE_RPM)
    client.config_resetstat()
    took_ns: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter_ns()
        bucket.acquire(group, FREE_RPM)
        took_ns.append(time.perf_counter_ns() - start)
    granted = bucket.stats(group).granted
    row = {
        "scenario": "free (sync client)",
        "processes x tasks": "1 x 1",
        "tokens": str(granted),
        "round trips/token": f"{(_round_trips(client) - 1) / granted:.2f}",
        "µs/acquire (mean, p99)": _mean_p99_us(took_ns),
        "tokens/s": f"{granted / seconds:.0f}",
    }
    client.close()
    return row


def _mean_p99_us(took_ns: list[int]) -> str:
    """``mean, p99`` of durations in ns, as µs."""
    p99 = sorted(took_ns)[int(len(took_ns) * 0.99)]
    return f"{statistics.fmean(took_ns) / 1e3:.0f}, {p99 / 1e3:.0f}"


def _max_excess(slots_us: list[int], rpm: float, burst: int = 1) -> float:
    """Largest ``count - (burst + rate * span)`` over windows of sorted slots (O(n) for burst 1)."""
    per_us = rpm / 60e6
    # For burst 1 every window is bounded once consecutive gaps are; check pairs 1..8 apart.
    return max(
        (k + 1) - (burst + per_us * (slots_us[i + k] - slots_us[i]))
        for k in range(1, 9)
        for i in range(len(slots_us) - k)
    )


def run(
    url: str, scenario: str, processes: int, tasks: int, rpm: float, seconds: float
) -> dict[str, str]:
    """One row of the table."""
    client: redis.Redis[Any] = redis.Redis.from_url(url)
    group = group_id(f"bench|{scenario}|{processes}|{time.time_ns()}")
    ctx = mp.get_context("spawn")
    go = ctx.Barrier(processes + 1)
    out: Queue[Any] = ctx.Queue()
    limit = FREE_RPM if scenario == "free" else rpm
    procs = [
        ctx.Process(target=_child, args=(url, group, limit, tasks, seconds, go, out))
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    client.config_resetstat()
    go.wait(timeout=60)
    results = [out.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join()
    trips = _round_trips(client)
    granted = RedisTokenBucket(client).stats(group).granted
    took_ns = [t for r in results for t in r["took_ns"]]
    slots = sorted(s for r in results for s in r["slots"])
    late = sorted(x for r in results for x in r["late_us"])
    row = {
        "scenario": scenario,
        "processes x tasks": f"{processes} x {tasks}",
        "tokens": str(granted),
        # Minus each child's ping and warm-up: connection set-up, not per token.
        "round trips/token": f"{(trips - 2 * processes) / granted:.2f}",
    }
    if scenario == "free":
        row["µs/acquire (mean, p99)"] = _mean_p99_us(took_ns)
        row["tokens/s"] = f"{granted / seconds:.0f}"
    else:
        achieved = (len(slots) - 1) / ((slots[-1] - slots[0]) / 60e6)
        row["limit rpm"] = f"{rpm:.0f}"
        row["achieved / limit"] = f"{achieved / rpm:.4f}"
        row["max excess"] = f"{_max_excess(slots, rpm):.3f}"
        row["fire lateness µs (p50, p99)"] = (
            f"{late[len(late) // 2]}, {late[int(len(late) * 0.99)]}"
        )
    client.close()
    return row


def _table(rows: list[dict[str, str]]) -> str:
    """Rows as a markdown table (union of columns, in first-seen order)."""
    cols = list(dict.fromkeys(c for r in rows for c in r))
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    lines += ["| " + " | ".join(r.get(c, "") for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run every scenario, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.limiter", description=__doc__)
    parser.add_argument("--redis-url", help="a Redis to use (default: embedded, temporary)")
    parser.add_argument("--rpm", type=float, default=3000.0, help="limit of the paced runs")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each run")
    parser.add_argument("--tasks", type=int, default=8, help="coroutines per process")
    args = parser.parse_args()
    server = None
    url = args.redis_url
    if url is None:
        from pipeline.embedded import ensure_embedded_redis

        server = ensure_embedded_redis(
            Path(tempfile.mkdtemp(prefix="bench-limiter-")), persist=False
        )
        url = server.url
    try:
        rows = [_sync_free(url, args.seconds)]
        rows += [
            run(url, scenario, processes, tasks, args.rpm, args.seconds)
            for scenario in ("free", "paced")
            for processes, tasks in ((1, 1), (1, args.tasks), (4, args.tasks))
        ]
    finally:
        if server is not None:
            server.stop()
    print(_table(rows))


if __name__ == "__main__":
    main()
