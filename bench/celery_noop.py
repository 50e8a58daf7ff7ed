"""The floor: a bare Celery no-op task loop on the same kind of broker as the pipeline.

``python -m bench.celery_noop [--tasks 20000]`` (``bench.pipeline`` runs it too, in the same run).

A throwaway Celery app (not inferq's) with one task that does nothing. ``--tasks`` messages are
sent to a queue first (the send rate is the producer side's cost per message), then one worker
process (solo pool) is started and drains it: the first task stores its start time in Redis, the
last its end time, so the rate excludes worker start-up. Two configurations:

* ``defaults``: Celery's own (ack on receipt, prefetch 4, no task events).
* ``inferq``: what :func:`workers.app.configure` sets (acks late, prefetch 1, task events on),
  so the difference to the pipeline is the pipeline's own work, not Celery's settings.
* ``inferq-no-events`` (this command only): the same without task events (what Flower needs).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

import redis
from celery import Celery

QUEUE = "bench.noop"
START_KEY = "bench:noop:start"
END_KEY = "bench:noop:end"

app = Celery("bench_noop")


def _configure(broker_url: str, profile: str) -> None:
    app.conf.update(
        broker_url=broker_url,
        result_backend=None,
        task_ignore_result=True,
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    if profile.startswith("inferq"):
        app.conf.update(
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
        )
    if profile == "inferq":
        app.conf.update(worker_send_task_events=True, task_send_sent_event=True)


# The worker process imports this module: it learns the broker and profile from the environment.
if os.environ.get("BENCH_NOOP_BROKER_URL"):
    _configure(os.environ["BENCH_NOOP_BROKER_URL"], os.environ.get("BENCH_NOOP_PROFILE", ""))


@app.task(name="bench.noop", ignore_result=True)  # type: ignore[untyped-decorator]
def noop(i: int, n: int) -> None:
    """Do nothing; the first and the last task record the time (two Redis calls per run)."""
    if i == 0 or i == n - 1:
        client = redis.Redis.from_url(os.environ["BENCH_NOOP_REDIS_URL"])
        client.set(START_KEY if i == 0 else END_KEY, repr(time.time()))
        client.close()


def measure(redis_url: str, broker_url: str, tasks: int, profile: str) -> dict[str, Any]:
    """Fill the queue with ``tasks`` no-ops, drain it with one solo worker; return a table row."""
    client = redis.Redis.from_url(redis_url)
    client.delete(START_KEY, END_KEY, QUEUE)
    _configure(broker_url, profile)
    started = time.perf_counter()
    with app.producer_or_acquire() as producer:
        for i in range(tasks):
            noop.apply_async((i, tasks), producer=producer)
    send_s = time.perf_counter() - started
    env = {
        **os.environ,
        "BENCH_NOOP_BROKER_URL": broker_url,
        "BENCH_NOOP_REDIS_URL": redis_url,
        "BENCH_NOOP_PROFILE": profile,
    }
    argv = [sys.executable, "-m", "celery", "-A", "bench.celery_noop", "worker", "-P", "solo"]
    argv += ["-Q", QUEUE, "--without-gossip", "--without-mingle", "--without-heartbeat"]
    argv += ["--loglevel", "WARNING"]
    if profile == "inferq":
        argv.append("-E")
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120 + tasks / 200
        while client.get(END_KEY) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the no-op worker did not finish")
            time.sleep(0.05)
    finally:
        from bench._harness import _stop

        _stop([proc])
    start, end = float(client.get(START_KEY) or 0), float(client.get(END_KEY) or 0)
    client.delete(START_KEY, END_KEY, QUEUE)
    client.close()
    return {
        "loop": f"bare Celery no-op, {profile} settings, solo pool",
        "tasks": tasks,
        "send tasks/s": f"{tasks / send_s:.0f}",
        "consume tasks/s": f"{(tasks - 1) / (end - start):.0f}",
    }


def main(argv: list[str] | None = None) -> int:
    """Run both configurations on a throwaway Redis; print markdown."""
    from bench import _harness as h

    p = argparse.ArgumentParser(prog="python -m bench.celery_noop", description=__doc__)
    p.add_argument("--tasks", type=int, default=20_000, help="tasks per configuration")
    args = p.parse_args(argv)
    env = h.environment()
    with h.redis_stack("bench-noop-") as stack:
        rows = []
        for profile in ("defaults", "inferq", "inferq-no-events"):
            row = measure(stack.redis_url, stack.broker_url, args.tasks, profile)
            rows.append({**row, "load avg at end": h.load_average()})
    print(h.kv_table(env))
    print()
    print(h.table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
