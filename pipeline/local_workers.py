"""Worker processes a command starts for itself in the embedded mode, and stops after.

The same ``inferq worker`` command an operator runs, as child processes: one for the ``chunk``
queue and one per embedding service the job needs. Nothing here is special to the embedded mode but
the lifetime.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from pipeline.constants import CHUNK_QUEUE, embed_queue

log = logging.getLogger(__name__)

# Warm shutdown lets running tasks finish; after this long the workers are killed.
STOP_TIMEOUT_S = 20.0


def worker_argv(queues: Sequence[str], *, pool: str, concurrency: int, name: str) -> list[str]:
    """The command line of one worker process."""
    return [
        sys.executable,
        "-m",
        "pipeline.cli",
        "worker",
        "--queues",
        ",".join(queues),
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--name",
        name,
    ]


def plan(service: str, embed_processes: int) -> list[list[str]]:
    """Worker command lines for a job on ``service``.

    The chunk worker runs the solo pool (chunking is CPU-bound Python: one process is one core).
    HTTP services run the threads pool (many requests in flight on one event loop); the built-in
    model runs one thread, which leaves the cores to torch.
    """
    tag = f"{os.getpid()}"
    argvs = [worker_argv([CHUNK_QUEUE], pool="solo", concurrency=1, name=f"chunk-{tag}@%h")]
    local = service == "elasticsearch"
    # One process for the built-in model: a second would load another copy of the model and
    # fight the first for the same cores.
    for n in range(1 if local else embed_processes):
        argvs.append(
            worker_argv(
                [embed_queue(service)],
                pool="threads",
                concurrency=1 if local else 32,
                name=f"embed-{service}-{tag}-{n}@%h",
            )
        )
    return argvs


@contextlib.contextmanager
def running(
    argvs: Sequence[Sequence[str]], log_dir: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start the workers, yield them, and stop them (warm, then forced) on exit."""
    log_dir.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i, argv in enumerate(argvs):
            log_file = (log_dir / f"worker-{i}.log").open("ab")
            procs.append(
                subprocess.Popen(
                    argv, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
            log_file.close()
        log.info("local_workers.started count=%d logs=%s", len(procs), log_dir)
        yield procs
    finally:
        stop(procs)


def stop(procs: Sequence[subprocess.Popen[bytes]], sig: int = signal.SIGTERM) -> None:
    """Signal each process group (warm shutdown); kill what is left after :data:`STOP_TIMEOUT_S`."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
