"""Integration fixtures: real worker processes, the real mock provider, real Redis.

Workers run as ``inferq worker`` subprocesses (the same command operators run) against the
suite's Redis; provider calls go to the mock provider on 127.0.0.1 through
``INFERQ_PROVIDER_BASE_URL``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline import local_workers

# A worker that is not ready after this long has failed to start (imports torch, ICU, ...).
WORKER_START_TIMEOUT_S = 90.0


@dataclass
class WorkerGroup:
    """Worker processes started by a test, with their log files."""

    procs: list[subprocess.Popen[bytes]]
    logs: list[Path]

    def log_text(self) -> str:
        """Everything the workers logged."""
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def kill(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to worker ``index``'s whole process group."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.procs[index].pid, sig)
        self.procs[index].wait(timeout=30)

    def stop(self) -> None:
        """Warm shutdown, then kill (as the embedded mode stops its own workers)."""
        local_workers.stop(self.procs)


def inferq_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of an inferq subprocess using the suite's Redis."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("INFERQ_") or k.startswith("INFERQ_TEST_")
    }
    env.update(
        {
            "INFERQ_REDIS_URL": redis_url,
            "INFERQ_SECRET_KEY": "test-secret-key",
            "INFERQ_RETRY_INITIAL_DELAY_S": "0.05",
            "INFERQ_RETRY_MAX_DELAY_S": "0.2",
            "INFERQ_DATA_DIR": os.environ["INFERQ_DATA_DIR"],
        }
    )
    env.update(extra)
    return env


def start_workers(
    argvs: Sequence[Sequence[str]], env: dict[str, str], log_dir: Path
) -> WorkerGroup:
    """Start ``inferq worker`` processes and wait until each logs that it is ready."""
    log_dir.mkdir(parents=True, exist_ok=True)
    group = WorkerGroup([], [])
    for i, argv in enumerate(argvs):
        path = log_dir / f"worker-{len(list(log_dir.iterdir()))}-{i}.log"
        with path.open("wb") as handle:
            cmd = [sys.executable, "-m", "pipeline.cli", "worker", *argv]
            group.procs.append(
                subprocess.Popen(
                    cmd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
                )
            )
        group.logs.append(path)
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    for proc, path in zip(group.procs, group.logs, strict=True):
        while "ready." not in path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                group.stop()
                raise RuntimeError(f"worker did not start:\n{path.read_text(errors='replace')}")
            time.sleep(0.1)
    return group


@pytest.fixture
def worker_factory(tmp_path: Path) -> Iterator[Callable[..., WorkerGroup]]:
    """Start worker groups; all are stopped after the test."""
    groups: list[WorkerGroup] = []

    def factory(argvs: Sequence[Sequence[str]], env: dict[str, str]) -> WorkerGroup:
        group = start_workers(argvs, env, tmp_path / "worker-logs")
        groups.append(group)
        return group

    yield factory
    for group in groups:
        group.stop()


def run_inferq(
    args: Sequence[str], env: dict[str, str], *, stdin: bytes | None = None, timeout_s: float = 300
) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI to completion."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )
