"""Secrets: a canary api key appears nowhere in clear, and Flower refuses strangers.

Everything a job leaves behind is searched for the canary: every Redis key of every type (broker
queues and the ``unacked`` hash included, captured while the job runs, with the task bodies
decoded), the events Flower collected, DEBUG worker logs, the CLI's output streams, the output and
failures files. A provider that echoes the key in its 401 error body must not get it into the
failures file either.
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from ops.mock_provider import running
from tests.integration.conftest import WorkerGroup, inferq_env, run_inferq
from tests.integration.test_ingest import make_text, read_jsonl, write_corpus
from tests.integration.test_reliability_support import (
    Ingest,
    as_text,
    assert_exactly_once,
    dump_redis,
    free_port,
)

pytestmark = pytest.mark.integration

CANARY = "sk-CANARY-5e1f0c9a7d2b"
ECHO_CANARY = "sk-ECHO-CANARY-a1b2c3d4"
FLOWER_AUTH = ("ops", "flower-pass-9f8e")


def decoded_messages(dump: dict[bytes, Any]) -> list[str]:
    """Task messages found in a Redis dump (queue lists, the unacked hash), bodies decoded."""
    found = []
    raw: list[bytes] = []
    for value in dump.values():
        if isinstance(value, list):
            raw += [v for v in value if isinstance(v, bytes)]
        elif isinstance(value, dict):
            raw += [v for v in value.values() if isinstance(v, bytes)]
    for item in raw:
        try:
            message = json.loads(item)
        except ValueError:
            continue
        if isinstance(message, list) and message and isinstance(message[0], dict):
            message = message[0]  # unacked: [message, exchange, routing_key]
        if not isinstance(message, dict) or "body" not in message:
            continue
        body = message["body"]
        if message.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body).decode("utf-8", errors="replace")
        found.append(json.dumps(message) + body)
    return found


@contextlib.contextmanager
def echoing_provider() -> Iterator[str]:
    """A provider answering every call 401 with an error body that quotes the bearer key."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            body = json.dumps({"error": f"Invalid credentials: api key {key} is not valid"})
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def flower(env: dict[str, str], log: Path) -> Iterator[str]:
    """``inferq flower`` with basic auth, as a subprocess; yields its base URL."""
    port = free_port()
    with log.open("wb") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "flower", "--port", str(port)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthcheck", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, "flower did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def capture_while(running_proc: subprocess.Popen[bytes], client: redis.Redis) -> list[str]:
    """Dump Redis (decoding task messages) every 100 ms until ``running_proc`` exits."""
    texts: list[str] = []
    while running_proc.poll() is None:
        dump = dump_redis(client)
        texts.append(as_text(dump))
        texts += decoded_messages(dump)
        time.sleep(0.1)
    return texts


@pytest.mark.timeout(240)
def test_canary_key_appears_nowhere_and_flower_refuses_strangers(
    tmp_path: Path,
    redis_url: str,
    redis_client: redis.Redis,
    worker_factory: Callable[..., WorkerGroup],
) -> None:
    """Redis, task messages, Flower, DEBUG logs, CLI streams, files: no canary; no auth, no page."""
    env = inferq_env(
        redis_url,
        INFERQ_LOG_LEVEL="DEBUG",
        INFERQ_SLICE_DOCS="2",
        INFERQ_MAX_INFLIGHT_SLICES="8",
        INFERQ_RETRY_MAX_ATTEMPTS="2",
        INFERQ_FLOWER_BASIC_AUTH=":".join(FLOWER_AUTH),
    )
    seen: list[str] = []
    with (
        running(latency_ms=150, fail_429=0.1, retry_after_s=0.1) as mock_url,
        echoing_provider() as echo_url,
        flower(env, tmp_path / "flower.log") as flower_url,
    ):
        for inference_id, key, url in (
            ("hf-canary", CANARY, f"{mock_url}/hf/embed"),
            ("hf-echo", ECHO_CANARY, f"{echo_url}/embed"),
        ):
            body = {"service": "hugging_face", "service_settings": {"api_key": key, "url": url}}
            put = run_inferq(
                ["endpoints", "put", "text_embedding", inference_id, "--body", "-"],
                env,
                stdin=json.dumps(body).encode(),
                timeout_s=60,
            )
            assert put.returncode == 0, put.stderr.decode()
            seen += [put.stdout.decode(), put.stderr.decode()]
        docs = {f"d{i}": make_text(1 + i % 4) for i in range(40)}
        out = tmp_path / "out.jsonl"
        ingest = Ingest.start(write_corpus(tmp_path / "in.jsonl", docs), "hf-canary", out, env)
        # No worker yet: chunk messages wait in their queue until the dump has seen them (a
        # chunk worker would take each within milliseconds, between two 100 ms dumps).
        captured: list[str] = []
        deadline = time.monotonic() + 60
        while not any("inferq.chunk_slice" in t for t in captured):
            assert ingest.proc.poll() is None, ingest.stderr()
            assert time.monotonic() < deadline, "no chunk message reached the queue"
            captured += decoded_messages(dump_redis(redis_client))
            time.sleep(0.1)
        workers = worker_factory(
            [
                ["--queues", "chunk", "--pool", "solo"],
                ["--queues", "embed.hugging_face", "--concurrency", "2"],
            ],
            env,
        )
        captured += capture_while(ingest.proc, redis_client)
        assert ingest.proc.returncode == 0, ingest.stderr()
        assert_exactly_once(out, docs)
        messages = [t for t in captured if '"job_id"' in t]
        assert any("inferq.embed_batch" in t for t in messages), "no embed message captured"
        assert any("inferq.chunk_slice" in t for t in messages), "no chunk message captured"

        echo_docs = {f"e{i}": make_text(2) for i in range(3)}
        echo_out = tmp_path / "echo.jsonl"
        echoed = run_inferq(
            [
                "ingest",
                str(write_corpus(tmp_path / "echo-in.jsonl", echo_docs)),
                "--endpoint",
                "hf-echo",
                "--out",
                str(echo_out),
            ],
            env,
            timeout_s=120,
        )
        assert echoed.returncode == 1, echoed.stderr.decode()
        reasons = [f["error"]["reason"] for f in read_jsonl(tmp_path / "echo.failures.jsonl")]
        assert len(reasons) == len(echo_docs)
        assert all("status [401]" in r and "[REDACTED]" in r for r in reasons), reasons

        pages = [
            "/",
            "/workers",
            "/tasks",
            "/broker",
            "/api/workers",
            "/api/tasks",
            "/api/queues/length",
            "/api/task/types",
        ]
        task_ids = list(httpx.get(f"{flower_url}/api/tasks", auth=FLOWER_AUTH, timeout=10).json())
        assert task_ids, "flower saw no task"
        pages += [f"/api/task/info/{t}" for t in task_ids[:30]] + [f"/task/{task_ids[0]}"]
        for page in pages:
            assert httpx.get(flower_url + page, timeout=10).status_code == 401, page
            answer = httpx.get(flower_url + page, auth=FLOWER_AUTH, timeout=10)
            assert answer.status_code == 200, page
            seen.append(answer.text)
        seen += captured
        seen.append(as_text(dump_redis(redis_client)))
        seen += [ingest.stderr(), echoed.stdout.decode(), echoed.stderr.decode()]
        seen.append(workers.log_text())
        assert "DEBUG" in workers.log_text()
    seen.append((tmp_path / "flower.log").read_text(errors="replace"))
    for path in (out, tmp_path / "out.failures.jsonl", echo_out, tmp_path / "echo.failures.jsonl"):
        seen.append(path.read_text() if path.exists() else "")
    for canary in (CANARY, ECHO_CANARY):
        leaks = [
            text[max(0, text.find(canary) - 200) : text.find(canary) + 50]
            for text in seen
            if canary in text
        ]
        assert not leaks, leaks[:3]
