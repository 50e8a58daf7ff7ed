"""Rate-limiter accuracy end to end: real embed workers against the mock provider's strict pacing.

``python -m bench.limiter_accuracy [--rpm 1200 --seconds 60 --workers 4 --fail-429 0.3]``

Starts a throwaway embedded Redis, the mock provider (``python -m ops.mock_provider``) enforcing
``--rpm`` strictly (a request less than ``60/rpm`` s after the previously accepted one gets a
*pacing* 429), a hugging_face endpoint with ``rate_limit.requests_per_minute = --rpm`` pointing
at it, and ``--workers`` ``inferq worker`` processes (threads pool, ``--concurrency`` each) on
``embed.hugging_face``. Work goes straight onto that queue as one-chunk embed batches of a real
job (so one task is one provider request and the producer and chunker, measured by
``bench.pipeline``, cannot starve the limiter), enough to keep it saturated for the whole run.
The mock runs real-time (``--realtime``) unless ``--mock-normal-priority``: it stands for another
machine, whose arrival stamps our workers' load on this host must not delay.
With ``--fail-429`` the mock answers that share of *accepted* requests with an injected 429 and
``Retry-After: --retry-after`` seconds (each still spends its slot, as at a real provider).

Measured over the steady window (``--warmup`` seconds after the first accepted request, then
``--seconds``): accepted requests / what the limit allows, the most requests the mock accepted in
any ``60/rpm`` s window (1 is perfect pacing), pacing 429s (goal 0), injected 429s, our retries.
Prints markdown. Bounded: the run stops after ``warmup + seconds`` plus shutdown (≤ 20 s).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import redis

from bench import _harness as h

INFERENCE_ID = "bench-hf-limited"


def _feed(stack: h.Stack, batches: int) -> Any:
    """Create a job and queue ``batches`` one-chunk embed batches; returns its store."""
    from pipeline.connections import Connections
    from pipeline.contract import BatchItem, EmbedBatch
    from pipeline.jobs.producer import start_job
    from pipeline.settings import CommonSettings
    from workers.app import app, configure
    from workers.chunk_slice import send_batch

    configure(
        app,
        CommonSettings(redis_url=stack.redis_url, secret_key=h.SECRET_KEY),
        Connections(stack.redis_url, stack.broker_url, None),
    )
    store, _ = start_job(redis.Redis.from_url(stack.redis_url), INFERENCE_ID)
    ids = [f"d{i}" for i in range(batches)]
    store.set_expected((d, 1) for d in ids)
    for n, doc_id in enumerate(ids):
        text = f"Benchmark sentence number {n}."
        item = BatchItem(doc_id=doc_id, chunk_index=0, start=0, end=len(text), text=text)
        send_batch(
            app,
            "hugging_face",
            EmbedBatch(
                job_id=store.job_id, inference_id=INFERENCE_ID, batch_id=f"0-{n}", items=[item]
            ),
        )
    return store


def _window(times: list[float], start: float, end: float) -> list[float]:
    return [t for t in times if start <= t < end]


def run(args: argparse.Namespace) -> dict[str, Any]:
    """One scenario; returns the table row and details."""
    rps = args.rpm / 60
    total_s = args.warmup + args.seconds
    # Enough for the whole run at the full rate, plus a margin; the rest is dropped at the end.
    batches = math.ceil(rps * (total_s + 15))
    endpoint_rpm = math.floor(args.rpm * (1 - args.headroom))
    with h.redis_stack("bench-limacc-") as stack:
        logs = stack.directory / "logs"
        with h.mock_provider(
            logs,
            rpm=args.rpm,
            fail_429=args.fail_429,
            retry_after_s=args.retry_after,
            latency_ms=args.latency_ms,
            realtime=not args.mock_normal_priority,
        ) as mock:
            url = mock.url
            h.put_endpoint(
                stack,
                INFERENCE_ID,
                {
                    "service": "hugging_face",
                    "service_settings": {
                        "api_key": "bench-key",
                        "url": f"{url}/hf/embed",
                        "rate_limit": {"requests_per_minute": endpoint_rpm},
                    },
                },
            )
            argv = ["--queues", "embed.hugging_face", "--pool", "threads"]
            argv += ["--concurrency", str(args.concurrency)]
            with h.workers([argv] * args.workers, stack.env(), logs):
                h.mock_reset(url)
                load = h.load_average()
                store = _feed(stack, batches)
                deadline = time.monotonic() + total_s + 60
                first: float | None = None
                while time.monotonic() < deadline:
                    time.sleep(0.5)
                    stats = h.mock_stats(url)
                    if first is None and stats["accepted"]:
                        first = time.monotonic() - 0.5
                    if first is not None and time.monotonic() - first > total_s + 1:
                        break
                stats = h.mock_stats(url, timestamps=1, log=10_000)
                store.set(cancelled="1")  # queued batches fail fast instead of calling the mock
                from workers.app import app

                app.control.purge()
                job = store.meta()
                bucket = _bucket_stats(stack)
    accepted = stats["accepted_timestamps"]
    start = accepted[0] + args.warmup
    end = start + args.seconds
    in_window = _window(accepted, start, end)
    ok = [t for t, _path, status in stats["log"] if status == 200 and start <= t < end]
    allowed = args.seconds * rps
    arrivals = sorted(t for t, _path, status in stats["log"] if start <= t < end and status)
    gaps_ms = sorted((b - a) * 1000 for a, b in itertools.pairwise(arrivals))
    outcome = stats["by_outcome"]
    row = {
        "scenario": args.label or _label(args),
        "mock rpm": f"{args.rpm:g}",
        "endpoint rpm": endpoint_rpm,
        "workers x threads": f"{args.workers} x {args.concurrency}",
        "accepted (whole run)": stats["accepted"],
        "accepted in steady window": len(in_window),
        "achieved / limit": f"{len(in_window) / allowed:.3f}",
        "200s / limit": f"{len(ok) / allowed:.3f}",
        f"max seen in any {60 / args.rpm:g} s": stats["max_seen_in_window"],
        f"max accepted in any {60 / args.rpm:g} s": stats["max_accepted_in_window"],
        "pacing 429s": outcome.get("paced", 0),
        "injected 429s": outcome.get("injected_429", 0),
        "arrival gap ms (min, p1, p50)": _gaps(gaps_ms),
        "retries (whole run)": job.get("retries", "0"),
        "shared cooldowns": bucket.cooldowns,
        "load avg (1 min) at start": load,
    }
    return {"row": row, "stats": stats, "job": job}


def _gaps(gaps_ms: list[float]) -> str:
    if not gaps_ms:
        return "-"
    return (
        f"{gaps_ms[0]:.1f}, {gaps_ms[int(len(gaps_ms) * 0.01)]:.1f}, "
        f"{gaps_ms[len(gaps_ms) // 2]:.1f}"
    )


def _bucket_stats(stack: h.Stack) -> Any:
    from workers.ratelimit import RedisTokenBucket, group_id

    client = redis.Redis.from_url(stack.redis_url)
    # The hugging_face group is (url, api_key); the only group in this Redis.
    keys = [k.decode() for k in client.scan_iter("inferq:rl:*")]
    group = keys[0].rsplit(":", 1)[1] if keys else group_id("none")
    return RedisTokenBucket(client).stats(group)


def _label(args: argparse.Namespace) -> str:
    if args.fail_429:
        return f"(b) {args.fail_429:.0%} injected 429, Retry-After {args.retry_after:g} s"
    return "(a) no faults"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the scenario, print the environment and the table."""
    p = argparse.ArgumentParser(prog="python -m bench.limiter_accuracy", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--rpm", type=float, default=1200.0, help="limit of mock and endpoint (1200)")
    p.add_argument("--seconds", type=float, default=60.0, help="steady window (s, default 60)")
    p.add_argument("--warmup", type=float, default=5.0, help="start-up excluded (s, default 5)")
    p.add_argument("--workers", type=int, default=4, help="embed worker processes (4)")
    p.add_argument("--concurrency", type=int, default=8, help="threads per worker (8)")
    p.add_argument("--fail-429", type=float, default=0.0, help="share of injected 429s (0)")
    p.add_argument("--retry-after", type=float, default=1.0, help="their Retry-After (s, 1)")
    p.add_argument("--headroom", type=float, default=0.0,
                   help="endpoint rpm = rpm * (1 - headroom) (default 0)")  # fmt: skip
    p.add_argument("--latency-ms", type=float, default=0.0, help="mock latency per answer (0)")
    p.add_argument("--label", help="scenario name in the table")
    p.add_argument("--mock-normal-priority", action="store_true",
                   help="run the mock at normal priority instead of real-time (see "
                   "ops.mock_provider.make_realtime)")  # fmt: skip
    p.add_argument("--json", type=Path, help="also write the row and the mock's stats here")
    args = p.parse_args(argv)
    env = h.environment()
    result = run(args)
    print(f"`{shlex.join(['python', '-m', 'bench.limiter_accuracy', *(argv or sys.argv[1:])])}`")
    print()
    print(h.kv_table(env))
    print()
    print(h.table([result["row"]]))
    job = result["job"]
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    print()
    print(
        f"job counters: requests={job.get('requests')} responses_429={job.get('responses_429')} "
        f"retries={job.get('retries')} token_wait_ms={job.get('token_wait_ms')}; "
        f"mock by_outcome={result['stats']['by_outcome']}; pid={os.getpid()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
