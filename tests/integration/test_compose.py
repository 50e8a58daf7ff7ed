"""compose.yaml without a Docker engine: its shape, and every command it runs, started here.

Each service's command (and health check) runs on this machine against the suite's Redis with
the environment compose would give it from ``.env.example``; only host names, ports and ``/out``
are rewritten to loopback and temporary paths. The mock profile's job runner then runs the whole
sample job through those processes, as ``docker compose --profile mock up`` would.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from pipeline.constants import embed_queue
from pipeline.embedded import redis_server_executable
from tests.integration.test_flower import REPO, free_port, http_get, stop_group, wait_until
from workers.app import embedding_services

pytestmark = pytest.mark.integration

COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SECRET_NAME = re.compile(r"PASSWORD|SECRET|AUTH|API_KEY|TOKEN")
_VAR = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")
# Compose's container ports and what each becomes here.
PORTS = {"flower": 5555, "metrics": 9808, "mock-provider": 8088}


def env_example() -> dict[str, str]:
    """``.env.example`` as a mapping (comments and blank lines dropped)."""
    pairs = (line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#"))  # fmt: skip
    return {k.strip(): v.strip() for k, v in pairs}


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` and ``$$`` escapes."""

    def sub(m: re.Match[str]) -> str:
        name, op, arg = m.groups()
        got = variables.get(name, "")
        if op and op.endswith("?") and not got:
            raise AssertionError(f"{name} is required by compose.yaml but unset in .env.example")
        return got if got or not op or op.endswith("?") else arg

    return _VAR.sub(sub, value.replace("$$", "\0")).replace("\0", "$")


def image_and_build_vars() -> list[str]:
    """Every image reference of the file, build arguments included."""
    refs = [s["image"] for s in SERVICES.values()]
    refs += [v for s in SERVICES.values() for k, v in s.get("build", {}).get("args", {}).items()
             if k.endswith("IMAGE")]  # fmt: skip
    return refs


def test_every_service_has_a_health_check_and_images_are_pinned_through_variables() -> None:
    """Health checks everywhere; each image is ${VAR:-name:version}, never latest or unpinned."""
    assert {"redis", "chunk-worker", "flower", "metrics", "mock-provider", "job-runner"} <= set(
        SERVICES
    )
    for name, service in SERVICES.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    for ref in image_and_build_vars():
        m = re.fullmatch(r"\$\{[A-Z_]+:-([^}]+)\}", ref)
        assert m, f"{ref} is not pinned through an overridable variable"
        assert re.search(r":\d", m.group(1)), f"{ref} has no version tag"
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim", dockerfile, re.M)
    assert "ARG INSTALL_LOCAL=0" in dockerfile


def test_secrets_come_from_the_env_file_never_inline() -> None:
    """Secret-looking values are required variables; .env.example defines each; no .env in git."""
    required = set()
    for name, service in SERVICES.items():
        env = service.get("environment", {})
        for key, value in env.items():
            required |= {m.group(1) for m in _VAR.finditer(str(value)) if m.group(2) == ":?"}
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", str(value)), f"{name}.{key} is inline"
        assert "INFERQ_REDIS_URL" not in env or "${REDIS_PASSWORD:?" in env["INFERQ_REDIS_URL"]
    assert required <= set(env_example())
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=REPO, capture_output=True,
                             check=True).stdout  # fmt: skip
    assert not tracked


def test_one_embedding_worker_per_service_and_each_scalable() -> None:
    """Every service's queue has exactly one worker service; none pins a name or a host port."""
    queues = {}
    for name, service in SERVICES.items():
        command = service.get("command", [])
        if command[:2] == ["inferq", "worker"]:
            assert "container_name" not in service
            assert "ports" not in service
            worker_queues = command[command.index("--queues") + 1].split(",")
            assert len(worker_queues) == 1, f"{name} serves several queues"
            assert command[command.index("--name") + 1].endswith("@%h")
            queues[worker_queues[0]] = name
    assert set(queues) == {"chunk"} | {embed_queue(s) for s in embedding_services()}


def test_redis_runs_with_a_password_and_append_only_persistence(tmp_path: Path) -> None:
    """The redis command, run here: refuses clients without the password and writes an AOF."""
    script = SERVICES["redis"]["command"][-1]
    script = interpolate(script, {}).replace(
        "exec redis-server", f"exec {redis_server_executable()}"
    )
    port = free_port()
    script = script.replace("/tmp/redis.conf", f"{tmp_path}/redis.conf")
    script = script.replace("redis.conf --appendonly", f"redis.conf --port {port} --appendonly")
    script = script.replace("--dir /data", f"--dir {tmp_path}")
    env = {**os.environ, "REDIS_PASSWORD": "compose-test-pw"}
    proc = subprocess.Popen(["sh", "-ec", script], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        anonymous = redis.Redis(port=port)
        wait_until(lambda: _answers(anonymous), 10, "the compose redis to listen")
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
        client = redis.Redis(port=port, password="compose-test-pw")
        client.set("k", "v")
        assert (tmp_path / "redis.conf").stat().st_mode & 0o077 == 0
        assert list(tmp_path.glob("appendonly*")), "no append-only file"
        assert b"compose-test-pw" not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    finally:
        stop_group(proc)


def _answers(client: redis.Redis) -> bool:
    try:
        client.ping()
    except redis.AuthenticationError:
        return True
    except redis.ConnectionError:
        return False
    return True


class Here:
    """Compose's view of one service translated to this machine."""

    def __init__(self, redis_url: str, tmp_path: Path) -> None:
        self.redis_url = redis_url
        self.tmp_path = tmp_path
        self.ports = {service: free_port() for service in PORTS}
        self.variables = env_example()

    def rewrite(self, text: str) -> str:
        """Loopback for compose's host names and bind-all addresses; our ports and paths."""
        for service, port in PORTS.items():
            text = text.replace(f"{service}:{port}", f"127.0.0.1:{self.ports[service]}")
            text = text.replace(f"127.0.0.1:{port}/", f"127.0.0.1:{self.ports[service]}/")
        text = text.replace("0.0.0.0", "127.0.0.1")  # noqa: S104 - rewriting it away
        return text.replace("/out/", f"{self.tmp_path}/out/")

    def env(self, service: dict[str, Any]) -> dict[str, str]:
        """The service's environment, with the suite's Redis and a private data dir."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("INFERQ_")}
        env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
        for key, value in service.get("environment", {}).items():
            env[key] = self.rewrite(interpolate(str(value), self.variables))
        if "INFERQ_REDIS_URL" in env:
            env["INFERQ_REDIS_URL"] = self.redis_url
        env["INFERQ_DATA_DIR"] = str(self.tmp_path / "data")
        for name, port in (("INFERQ_FLOWER_PORT", "flower"), ("INFERQ_METRICS_PORT", "metrics")):
            if name in env:
                env[name] = str(self.ports[port])
        return env

    def argv(self, name: str, key: str = "command") -> list[str]:
        """A service's command (or health-check test) as it would run, rewritten for here."""
        raw = SERVICES[name][key] if key == "command" else SERVICES[name]["healthcheck"]["test"]
        if isinstance(raw, str):
            raw = shlex.split(raw)
        if raw and raw[0] in ("CMD", "CMD-SHELL"):
            raw = raw[1:] if raw[0] == "CMD" else ["sh", "-c", raw[1]]
        argv = [self.rewrite(interpolate(str(a), self.variables)) for a in raw]
        if name == "mock-provider" and key == "command":
            argv[argv.index("--port") + 1] = str(self.ports["mock-provider"])
        return argv


@contextlib.contextmanager
def started(
    here: Here, names: list[str]
) -> Iterator[dict[str, tuple[subprocess.Popen[bytes], Path]]]:
    """Start the services' commands; stop them all afterwards."""
    procs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    try:
        for name in names:
            log = here.tmp_path / f"{name}.log"
            with log.open("wb") as handle:
                procs[name] = (subprocess.Popen(here.argv(name), env=here.env(SERVICES[name]),
                                                cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                                                start_new_session=True), log)  # fmt: skip
        yield procs
    finally:
        for proc, _ in procs.values():
            stop_group(proc)


def is_up(name: str, here: Here, proc: subprocess.Popen[bytes], log: Path) -> bool:
    """A worker logged ``ready.``; a server answers on its port."""
    if proc.poll() is not None:
        raise AssertionError(f"{name} exited {proc.returncode}:\n{log.read_text()[-3000:]}")
    if name in PORTS:
        path = {"flower": "/healthcheck", "metrics": "/-/healthy", "mock-provider": "/_health"}
        try:
            return (
                http_get(f"http://127.0.0.1:{here.ports[name]}{path[name]}", timeout_s=2)[0] == 200
            )
        except OSError:
            return False
    return "ready." in log.read_text(errors="replace")


@pytest.mark.timeout(300)
def test_every_command_starts_here_and_the_mock_profile_runs_a_whole_job(
    tmp_path: Path, redis_url: str
) -> None:
    """All long-running commands start and pass their health checks; the job runner exits 0."""
    here = Here(redis_url, tmp_path)
    (tmp_path / "out").mkdir()
    long_running = [n for n in SERVICES if n not in ("redis", "job-runner")]
    with started(here, long_running) as procs:
        for name in long_running:
            proc, log = procs[name]
            wait_until(
                lambda n=name, p=proc, lg=log: is_up(n, here, p, lg), 120, f"{name} to start"
            )
        for name in long_running:
            argv, env = here.argv(name, "healthcheck"), here.env(SERVICES[name])
            check = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, timeout=30,
                                   check=False)  # fmt: skip
            assert check.returncode == 0, (name, check.stderr.decode())
        job = subprocess.run(here.argv("job-runner"), env=here.env(SERVICES["job-runner"]),
                             cwd=REPO, capture_output=True, timeout=180, check=False)  # fmt: skip
        assert job.returncode == 0, job.stderr.decode()[-3000:]
    out = (tmp_path / "out" / "sample.embeddings.jsonl").read_text().splitlines()
    assert len(out) == len((REPO / "examples" / "sample.jsonl").read_text().splitlines())
    assert "18 embedded, 0 skipped, 0 failed" in job.stderr.decode()
