"""``inferq flower`` in a real job: named tasks and job ids in a real browser, no secrets, auth.

Also home of the helpers the other ops tests share (a served inferq process, HTTP GETs, Chromium).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import redis

from ops.mock_provider import running
from pipeline.constants import JOBS_INDEX_KEY
from pipeline.embedded import ensure_embedded_redis
from pipeline.endpoints import EndpointRegistry, SecretCipher
from pipeline.settings import CommonSettings
from tests.integration.conftest import WorkerGroup, inferq_env, run_inferq

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CANARY_API_KEY = "hf-canary-7c41d9e2b0"
AUTH_USER, AUTH_PASSWORD = "ops", "flower-canary-5e8a1f"
SERVE_TIMEOUT_S = 45.0
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]  # fmt: skip


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(
    url: str, auth: tuple[str, str] | None = None, timeout_s: float = 10
) -> tuple[int, str]:
    """GET ``url`` (optionally with basic auth): status and body text."""
    request = urllib.request.Request(url)  # noqa: S310 - loopback URLs of the test
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``check`` every 0.1 s until it holds; fail naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.1)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL after 10 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def serving(argv: Sequence[str], env: dict[str, str], health_url: str,
            log_path: Path) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """Run a long-lived command until ``health_url`` answers below 500; stop it afterwards."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(list(argv), env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=REPO)  # fmt: skip
    try:

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"{argv} exited {proc.returncode}:\n{log_path.read_text()}")
            try:
                return http_get(health_url, timeout_s=2)[0] < 500
            except OSError:
                return False

        wait_until(up, SERVE_TIMEOUT_S, f"{health_url} ({log_path.read_text()})")
        yield proc
    finally:
        stop_group(proc)


def inferq_argv(*args: str) -> list[str]:
    """The argv of an inferq command run with this interpreter."""
    return [sys.executable, "-m", "pipeline.cli", *args]


def chromium_dom(url: str, profile_dir: Path, budget_ms: int = 5000) -> str:
    """The DOM of ``url`` after ``budget_ms`` of virtual time in headless Chromium."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is required (apt-get install -y chromium)"
    done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}",
                           f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
                          capture_output=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode("utf-8", "replace")


def put_canary_endpoint(redis_url: str, mock_url: str, inference_id: str = "hf-flower",
                        requests_per_minute: int = 60) -> str:  # fmt: skip
    """A hugging_face endpoint on the mock whose api key is the canary (paced: a job lasts)."""
    settings = CommonSettings(redis_url=redis_url, secret_key="test-secret-key")
    registry = EndpointRegistry(
        redis.Redis.from_url(redis_url), SecretCipher.from_settings(settings)
    )
    registry.put("text_embedding", inference_id, {
        "service": "hugging_face",
        "service_settings": {"api_key": CANARY_API_KEY, "url": f"{mock_url}/hf/embed",
                             "rate_limit": {"requests_per_minute": requests_per_minute}},
        "chunking_settings": {"strategy": "sentence", "max_chunk_size": 20, "sentence_overlap": 0},
    })  # fmt: skip
    return inference_id


def write_corpus(path: Path, n: int, marker: str) -> Path:
    """``n`` documents of a few sentences; every text holds ``marker``."""
    lines = [json.dumps({"id": f"doc-{i}", "text": f"{marker} number {i} is here. " * (2 + i % 5)})
             for i in range(n)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


def flower_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a Flower with the test's basic auth on the suite's Redis."""
    return inferq_env(redis_url, INFERQ_FLOWER_BASIC_AUTH=f"{AUTH_USER}:{AUTH_PASSWORD}", **extra)


@pytest.fixture
def flower(redis_url: str, tmp_path: Path) -> Iterator[str]:
    """Flower with basic auth on the suite's Redis; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(inferq_argv("flower", "--port", str(port)), flower_env(redis_url),
                 f"{base}/healthcheck", tmp_path / "flower.log"):  # fmt: skip
        yield base


def test_tasks_page_in_chromium_shows_named_tasks_with_job_ids_and_no_secret(
    tmp_path: Path, redis_url: str, flower: str, worker_factory: Callable[..., WorkerGroup]
) -> None:
    """During a job, Chromium's tasks page lists both task names and the job id; no key anywhere."""
    env = inferq_env(redis_url)
    worker_factory([["--queues", "chunk", "--pool", "solo", "--name", "chunk@%h"],
                    ["--queues", "embed.hugging_face", "--concurrency", "4",
                     "--name", "embed@%h"]], env)  # fmt: skip
    auth = (AUTH_USER, AUTH_PASSWORD)
    marker = "Quokkaesque"
    with running(latency_ms=40) as mock_url:
        endpoint = put_canary_endpoint(redis_url, mock_url)
        corpus = write_corpus(tmp_path / "in.jsonl", 200, marker)
        job_log = tmp_path / "job.log"
        with job_log.open("wb") as log:
            job = subprocess.Popen(inferq_argv("ingest", str(corpus), "--endpoint", endpoint,
                                               "--out", str(tmp_path / "out.jsonl"), "--quiet"),
                                   env=env, stderr=log)  # fmt: skip
        try:
            client = redis.Redis.from_url(redis_url)
            wait_until(lambda: client.zcard(JOBS_INDEX_KEY) > 0, 30, "the job to be created")
            job_id = client.zrange(JOBS_INDEX_KEY, 0, -1)[0].decode()

            def embed_tasks_seen() -> bool:
                return "inferq.embed_batch" in http_get(f"{flower}/api/tasks", auth)[1]

            wait_until(embed_tasks_seen, 60, "Flower to see embed tasks")
            authed = flower.replace("http://", f"http://{AUTH_USER}:{AUTH_PASSWORD}@")
            dom = chromium_dom(f"{authed}/tasks", tmp_path / "chromium")
            assert job.poll() is None, "the job ended before the browser read the tasks page"
            job.wait(timeout=120)
        finally:
            if job.poll() is None:
                job.kill()
                job.wait()
    assert job.returncode == 0, job_log.read_text()
    assert "inferq.embed_batch" in dom
    assert "inferq.chunk_slice" in dom
    assert job_id in dom
    # Every page and API answer after the job: the api key, the Flower password, the secret key
    # and the documents' text appear nowhere.
    tasks = json.loads(http_get(f"{flower}/api/tasks", auth)[1])
    assert {t["name"] for t in tasks.values()} == {"inferq.chunk_slice", "inferq.embed_batch"}
    assert all(job_id in t["kwargs"] for t in tasks.values())
    pages = [json.dumps(tasks), dom]
    for path in ["/", "/tasks", "/workers", "/broker", "/api/workers?refresh=1",
                 "/api/tasks?limit=1000",
                 *[f"/task/{uuid}" for uuid in list(tasks)[:20]],
                 *[f"/api/task/info/{uuid}" for uuid in list(tasks)[:20]],
                 "/worker/chunk@" + socket.gethostname()]:  # fmt: skip
        status, body = http_get(flower + path, auth)
        assert status == 200, (path, status)
        pages.append(body)
    pages.append(chromium_dom(f"{authed}/task/{next(iter(tasks))}", tmp_path / "chromium"))
    for secret in (CANARY_API_KEY, AUTH_PASSWORD, "test-secret-key", marker):
        assert not [p for p in pages if secret in p], f"{secret!r} leaked into Flower"


def test_screenshot_command_writes_a_png(tmp_path: Path, flower: str) -> None:
    """ops/screenshot_flower.sh logs in with INFERQ_FLOWER_BASIC_AUTH and writes a PNG."""
    out = tmp_path / "tasks.png"
    env = {**os.environ, "INFERQ_FLOWER_BASIC_AUTH": f"{AUTH_USER}:{AUTH_PASSWORD}"}
    done = subprocess.run([str(REPO / "ops" / "screenshot_flower.sh"), f"{flower}/tasks", str(out)],
                          env=env, capture_output=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unauthenticated_and_wrong_password_requests_get_401(flower: str) -> None:
    """Pages and API answer 401 without credentials or with a wrong password."""
    for path in ["/", "/tasks", "/api/tasks", "/api/workers", "/broker", "/tasks/datatable"]:
        assert http_get(flower + path)[0] == 401, path
        assert http_get(flower + path, (AUTH_USER, "wrong"))[0] == 401, path


def test_the_credential_is_not_in_any_process_arguments(redis_url: str, tmp_path: Path) -> None:
    """Flower gets the password through its environment: no argv of its process tree shows it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthcheck"
    argv = inferq_argv("flower", "--port", str(port))
    with serving(argv, flower_env(redis_url), url, tmp_path / "flower.log") as proc:
        group = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, check=False)
        pids = {proc.pid, *(int(p) for p in group.stdout.split())}
        argvs = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids
                 if Path(f"/proc/{pid}/cmdline").exists()]  # fmt: skip
        assert argvs
        assert not [a for a in argvs if AUTH_PASSWORD.encode() in a]
    assert AUTH_PASSWORD not in (tmp_path / "flower.log").read_text()


def test_refuses_to_start_without_auth_on_a_shared_redis(redis_url: str) -> None:
    """No INFERQ_FLOWER_BASIC_AUTH and no INFERQ_FLOWER_INSECURE: exit 2 with a clear error."""
    done = run_inferq(["flower", "--port", str(free_port())], inferq_env(redis_url), timeout_s=60)
    assert done.returncode == 2
    assert "refusing to serve without authentication" in done.stderr.decode()
    assert "INFERQ_FLOWER_BASIC_AUTH" in done.stderr.decode()


def test_malformed_credential_is_refused_without_echoing_it(redis_url: str) -> None:
    """A credential without ``:`` exits 2 and the message does not contain the value."""
    env = inferq_env(redis_url, INFERQ_FLOWER_BASIC_AUTH="justapassword-9f3")
    done = run_inferq(["flower", "--port", str(free_port())], env, timeout_s=60)
    assert done.returncode == 2
    assert "user:password" in done.stderr.decode()
    assert "justapassword-9f3" not in done.stderr.decode() + done.stdout.decode()


def test_insecure_flag_serves_without_auth(redis_url: str, tmp_path: Path) -> None:
    """INFERQ_FLOWER_INSECURE=1 starts Flower with open pages (its API stays off, as in Flower)."""
    port = free_port()
    env = inferq_env(redis_url, INFERQ_FLOWER_INSECURE="1")
    with serving(inferq_argv("flower", "--port", str(port)), env,
                 f"http://127.0.0.1:{port}/healthcheck", tmp_path / "flower.log"):  # fmt: skip
        assert http_get(f"http://127.0.0.1:{port}/tasks")[0] == 200
        assert http_get(f"http://127.0.0.1:{port}/api/tasks")[0] == 401


def test_embedded_mode_serves_loopback_without_auth_and_refuses_other_addresses(
    tmp_path: Path,
) -> None:
    """Embedded Redis: no auth needed on 127.0.0.1; --address 0.0.0.0 is refused (exit 2)."""
    env = inferq_env("unused")
    del env["INFERQ_REDIS_URL"]
    server = ensure_embedded_redis(Path(env["INFERQ_DATA_DIR"]), persist=False)
    try:
        args = ["flower", "--address", "0.0.0.0", "--port", str(free_port())]  # noqa: S104
        done = run_inferq(args, env, timeout_s=60)
        assert done.returncode == 2
        assert "loopback only" in done.stderr.decode()
        port = free_port()
        with serving(inferq_argv("flower", "--port", str(port)), env,
                     f"http://127.0.0.1:{port}/healthcheck", tmp_path / "flower.log"):  # fmt: skip
            assert http_get(f"http://127.0.0.1:{port}/tasks")[0] == 200
    finally:
        server.stop()
