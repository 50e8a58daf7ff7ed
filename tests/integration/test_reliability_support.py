"""Helpers of the reliability suite (``test_reliability_*.py``, ``test_secrets.py``); no tests.

A job here is the real thing: an endpoint PUT through :class:`EndpointRegistry`, ``inferq worker``
subprocesses, ``inferq ingest`` as a subprocess against the mock provider on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from pipeline.embedded import redis_server_executable
from pipeline.endpoints import EndpointRegistry, SecretCipher
from pipeline.settings import CommonSettings
from tests.integration.test_ingest import assert_paired, read_jsonl

# The key the suite's ``inferq_env`` encrypts endpoint secrets with.
SECRET_KEY = "test-secret-key"


def put_hf_endpoint(
    redis_url: str,
    mock_url: str,
    inference_id: str,
    *,
    api_key: str = "hf-key",
    rpm: float | None = None,
    path: str = "/hf/embed",
    chunking: Mapping[str, Any] | None = None,
) -> str:
    """PUT a hugging_face text_embedding endpoint on the mock; returns its id."""
    settings: dict[str, Any] = {"api_key": api_key, "url": f"{mock_url}{path}"}
    if rpm is not None:
        settings["rate_limit"] = {"requests_per_minute": rpm}
    body: dict[str, Any] = {"service": "hugging_face", "service_settings": settings}
    body["chunking_settings"] = dict(
        chunking or {"strategy": "sentence", "max_chunk_size": 20, "sentence_overlap": 0}
    )
    client = redis.Redis.from_url(redis_url)
    registry = EndpointRegistry(
        client,
        SecretCipher.from_settings(CommonSettings(redis_url=redis_url, secret_key=SECRET_KEY)),
    )
    registry.put("text_embedding", inference_id, body)
    client.close()
    return inference_id


def mock_config(base_url: str, **changes: Any) -> None:
    """Change the mock provider's configuration at runtime."""
    httpx.post(f"{base_url}/_config", json=changes, timeout=5).raise_for_status()


def mock_stats(base_url: str, **query: Any) -> dict[str, Any]:
    """The mock provider's ``GET /_stats``."""
    answer = httpx.get(f"{base_url}/_stats", params=query, timeout=10)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


@dataclass
class Ingest:
    """``inferq ingest`` running as a subprocess, stderr to a file."""

    proc: subprocess.Popen[bytes]
    out: Path
    stderr_path: Path

    @classmethod
    def start(
        cls, corpus: Path, endpoint: str, out: Path, env: dict[str, str], *extra: str
    ) -> Ingest:
        """Start ``inferq ingest corpus --endpoint endpoint --out out``."""
        stderr_path = out.with_suffix(".stderr")
        cmd = [
            sys.executable,
            "-m",
            "pipeline.cli",
            "ingest",
            str(corpus),
            "--endpoint",
            endpoint,
            "--out",
            str(out),
            *extra,
        ]
        with stderr_path.open("wb") as err:
            proc = subprocess.Popen(cmd, env=env, stdout=err, stderr=err)
        return cls(proc, out, stderr_path)

    def stderr(self) -> str:
        """What the CLI printed so far."""
        return self.stderr_path.read_text(errors="replace")

    def lines_written(self) -> int:
        """Output lines written so far."""
        return self.out.read_bytes().count(b"\n") if self.out.exists() else 0

    def wait_for_lines(self, n: int, timeout_s: float) -> None:
        """Block until the output has ``n`` lines (fail if the CLI ends or time runs out)."""
        deadline = time.monotonic() + timeout_s
        while self.lines_written() < n:
            assert self.proc.poll() is None, f"ingest ended early:\n{self.stderr()}"
            assert time.monotonic() < deadline, f"no {n} lines in {timeout_s} s:\n{self.stderr()}"
            time.sleep(0.05)

    def finish(self, timeout_s: float) -> int:
        """Wait for the CLI to exit; returns its status (kills it on timeout and fails)."""
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"ingest not done in {timeout_s} s:\n{self.stderr()}") from None

    def job_id(self) -> str:
        """The job id the CLI announced."""
        return job_id_in(self.stderr())


def job_id_in(stderr: str) -> str:
    """The job id ``inferq ingest`` announced on stderr."""
    found = re.search(r"job (j\S+) \(", stderr)
    assert found, stderr
    return found.group(1)


def assert_exactly_once(out: Path, docs: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every document of ``docs`` is in ``out`` exactly once, its vectors paired to its chunks."""
    lines = read_jsonl(out)
    ids = [str(d["id"]) for d in lines]
    assert len(ids) == len(set(ids)), "a document was written twice"
    assert sorted(ids) == sorted(docs)
    for doc in lines:
        assert_paired(doc, docs[str(doc["id"])])
    return lines


def job_stats(redis_url: str, job_id: str) -> dict[str, str]:
    """The job hash (counters and metadata) as strings."""
    client = redis.Redis.from_url(redis_url)
    raw = client.hgetall(f"inferq:job:{job_id}")
    client.close()
    return {k.decode(): v.decode() for k, v in raw.items()}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class RedisServer:
    """A ``redis-server`` of the test's own on 127.0.0.1, every write persisted (AOF, fsync always).

    Attributes:
        directory: where its append-only file lives (kept across restarts).
        port: its TCP port (kept across restarts).
    """

    directory: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its ``redis://`` URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server on the same port and directory; wait until it answers."""
        self.directory.mkdir(parents=True, exist_ok=True)
        argv = [
            str(redis_server_executable()),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--logfile",
            str(self.directory / "redis.log"),
        ]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                client = redis.Redis(port=self.port, socket_timeout=1)
                client.ping()
                client.close()
                return
            except (redis.ConnectionError, redis.BusyLoadingError):
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the server (nothing but the fsynced append-only file survives)."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop it if it runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


def dump_redis(client: redis.Redis) -> dict[bytes, Any]:
    """Every key of every type with its full value (streams as XRANGE entries)."""
    dump: dict[bytes, Any] = {}
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            dump[key] = client.get(key)
        elif kind == b"hash":
            dump[key] = client.hgetall(key)
        elif kind == b"list":
            dump[key] = client.lrange(key, 0, -1)
        elif kind == b"set":
            dump[key] = client.smembers(key)
        elif kind == b"zset":
            dump[key] = client.zrange(key, 0, -1, withscores=True)
        elif kind == b"stream":
            dump[key] = client.xrange(key)
    return dump


def as_text(value: Any) -> str:
    """A dump flattened to text, bytes decoded leniently, for substring checks."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return " ".join(as_text(k) + "=" + as_text(v) for k, v in value.items())
    if isinstance(value, Sequence | set) and not isinstance(value, str):
        return " ".join(as_text(v) for v in value)
    return str(value)


def corpus_lines(docs: Mapping[str, str]) -> bytes:
    """``docs`` as JSONL bytes."""
    return b"".join(json.dumps({"id": k, "text": v}).encode() + b"\n" for k, v in docs.items())
