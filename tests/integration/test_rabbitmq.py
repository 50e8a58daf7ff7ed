"""RabbitMQ as the broker: a real job over AMQP, Redis keeping the limiter, registry and results.

The broker is ``INFERQ_TEST_AMQP_URL``, else the RabbitMQ this project's machines run on
127.0.0.1:5672 (guest/guest). An unreachable broker fails the tests with a clear message: tests
never skip for want of a service.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from celery import Celery
from kombu import Queue
from kombu.connection import Connection

from ops.mock_provider import running
from pipeline.connections import Connections
from pipeline.contract import EMBED_TASK, send_headers
from pipeline.settings import CommonSettings
from tests.integration.conftest import WorkerGroup, inferq_env, run_inferq
from tests.integration.test_flower import (
    AUTH_PASSWORD,
    AUTH_USER,
    free_port,
    http_get,
    inferq_argv,
    put_canary_endpoint,
    serving,
    write_corpus,
)
from workers.app import configure

pytestmark = pytest.mark.integration

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
QUEUES = ("chunk", "embed.hugging_face", "embed.cohere")


@pytest.fixture
def amqp_url() -> str:
    """The test broker, reachable and with the pipeline's queues empty."""
    url = os.environ.get("INFERQ_TEST_AMQP_URL", DEFAULT_AMQP_URL)
    with Connection(url, connect_timeout=5) as conn:
        try:
            conn.ensure_connection(max_retries=1)
        except Exception as exc:  # any connection failure: fail, naming the broker
            pytest.fail(
                f"RabbitMQ not reachable at INFERQ_TEST_AMQP_URL or {DEFAULT_AMQP_URL} "
                f"({type(exc).__name__}); start one or set INFERQ_TEST_AMQP_URL"
            )
        channel = conn.channel()
        for name in QUEUES:
            Queue(name, channel=channel).declare()
            channel.queue_purge(name)
        channel.close()
    return url


def test_a_job_runs_over_rabbitmq_with_redis_for_state(
    tmp_path: Path, redis_url: str, amqp_url: str, worker_factory: Callable[..., WorkerGroup]
) -> None:
    """INFERQ_BROKER_URL=amqp://: every document embedded; no task message touched Redis."""
    env = inferq_env(redis_url, INFERQ_BROKER_URL=amqp_url)
    # Distinct node names: RabbitMQ gives each node an exclusive control queue.
    worker_factory([["--queues", "chunk", "--pool", "solo", "--name", "chunk@%h"],
                    ["--queues", "embed.hugging_face", "--concurrency", "4",
                     "--name", "embed@%h"]], env)  # fmt: skip
    with running(fail_429=0.1, retry_after_s=0, seed=3) as mock_url:
        endpoint = put_canary_endpoint(redis_url, mock_url, "hf-amqp", requests_per_minute=3000)
        corpus = write_corpus(tmp_path / "in.jsonl", 40, "Rabbit")
        out = tmp_path / "out.jsonl"
        done = run_inferq(["ingest", str(corpus), "--endpoint", endpoint, "--out", str(out),
                           "--quiet"], env, timeout_s=120)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    ids = sorted(json.loads(line)["id"] for line in out.read_text().splitlines())
    assert ids == sorted(f"doc-{i}" for i in range(40))
    client = redis.Redis.from_url(redis_url)
    assert not [q for q in QUEUES if client.exists(q)], "a task message went through Redis"
    assert client.hlen("inferq:metrics") > 0  # the workers' counters are in Redis


def test_metrics_reads_queue_depth_from_rabbitmq(
    tmp_path: Path, redis_url: str, amqp_url: str
) -> None:
    """With an AMQP broker the exporter reports depth (passive declare) and no age."""
    settings = CommonSettings(redis_url=redis_url, broker_url=amqp_url)
    producer = configure(Celery("test-producer"), settings,
                         Connections(redis_url, amqp_url, None))  # fmt: skip
    for _ in range(3):
        producer.send_task(EMBED_TASK, kwargs={"payload": {}}, queue="embed.cohere",
                           headers=send_headers())  # fmt: skip
    producer.close()
    port = free_port()
    env = inferq_env(redis_url, INFERQ_BROKER_URL=amqp_url,
                     INFERQ_FLOWER_BASIC_AUTH=f"{AUTH_USER}:{AUTH_PASSWORD}")  # fmt: skip
    with serving(inferq_argv("metrics", "--port", str(port)), env,
                 f"http://127.0.0.1:{port}/-/healthy", tmp_path / "metrics.log"):  # fmt: skip
        status, text = http_get(f"http://127.0.0.1:{port}/metrics", (AUTH_USER, AUTH_PASSWORD))
    assert status == 200
    assert 'inferq_queue_messages{queue="embed.cohere"} 3.0' in text
    assert 'inferq_queue_messages{queue="chunk"} 0.0' in text
    assert "inferq_broker_up 1.0" in text
    assert 'inferq_queue_oldest_message_age_seconds{queue="embed.cohere"}' not in text
    assert "guest" not in text
