"""``inferq metrics`` against a real Redis broker, real workers and the mock provider with 429s."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery
from prometheus_client.parser import text_string_to_metric_families

from ops.mock_provider import running
from pipeline.connections import resolve
from pipeline.contract import CHUNK_TASK, EMBED_TASK, ENQUEUED_AT_HEADER
from pipeline.settings import CommonSettings
from tests.integration.conftest import WorkerGroup, inferq_env, run_inferq
from tests.integration.test_flower import (
    AUTH_PASSWORD,
    AUTH_USER,
    CANARY_API_KEY,
    free_port,
    http_get,
    inferq_argv,
    put_canary_endpoint,
    serving,
    write_corpus,
)
from workers.app import configure

pytestmark = pytest.mark.integration

AUTH = (AUTH_USER, AUTH_PASSWORD)
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base: str) -> tuple[str, Samples]:
    """The exposition text and ``{(sample name, sorted labels): value}``."""
    status, text = http_get(f"{base}/metrics", AUTH)
    assert status == 200, text
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return text, samples


def values(samples: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample of ``name`` by labels."""
    return {labels: v for (n, labels), v in samples.items() if n == name}


@pytest.fixture
def metrics(redis_url: str, tmp_path: Path) -> Iterator[str]:
    """``inferq metrics`` with basic auth on the suite's Redis; yields its base URL."""
    port = free_port()
    env = inferq_env(redis_url, INFERQ_FLOWER_BASIC_AUTH=f"{AUTH_USER}:{AUTH_PASSWORD}")
    with serving(inferq_argv("metrics", "--port", str(port)), env,
                 f"http://127.0.0.1:{port}/-/healthy", tmp_path / "metrics.log"):  # fmt: skip
        yield f"http://127.0.0.1:{port}"


def test_queue_depth_and_oldest_message_age_per_queue(redis_url: str, metrics: str) -> None:
    """Messages nobody consumes: depth per queue, and the age from the enqueue-time header."""
    settings = CommonSettings(redis_url=redis_url)
    producer = configure(Celery("test-producer"), settings, resolve(settings))
    sent_at = time.time() - 30
    for i in range(3):
        producer.send_task(CHUNK_TASK, kwargs={"payload": {}}, queue="chunk",
                           headers={ENQUEUED_AT_HEADER: sent_at + i})  # fmt: skip
    for _ in range(2):
        producer.send_task(EMBED_TASK, kwargs={"payload": {}}, queue="embed.openai",
                           headers={ENQUEUED_AT_HEADER: time.time()})  # fmt: skip
    producer.close()
    _, samples = scrape(metrics)
    depth = values(samples, "inferq_queue_messages")
    assert depth[(("queue", "chunk"),)] == 3
    assert depth[(("queue", "embed.openai"),)] == 2
    assert depth[(("queue", "embed.cohere"),)] == 0
    age = values(samples, "inferq_queue_oldest_message_age_seconds")
    assert 29 <= age[(("queue", "chunk"),)] < 60  # the oldest of the three
    assert 0 <= age[(("queue", "embed.openai"),)] < 10
    assert age[(("queue", "embed.cohere"),)] == 0
    assert samples[("inferq_up", ())] == 1
    assert samples[("inferq_broker_up", ())] == 1


def test_requests_429s_retries_token_wait_and_limiter_use_after_a_job(
    tmp_path: Path, redis_url: str, metrics: str, worker_factory: Callable[..., WorkerGroup]
) -> None:
    """A job through a mock that answers 429s: per-service counters and tokens granted vs limit."""
    env = inferq_env(redis_url)
    worker_factory([["--queues", "chunk", "--pool", "solo"],
                    ["--queues", "embed.hugging_face", "--concurrency", "4"]], env)  # fmt: skip
    with running(fail_429=0.3, retry_after_s=0, seed=7) as mock_url:
        endpoint = put_canary_endpoint(redis_url, mock_url, "hf-metrics", requests_per_minute=600)
        corpus = write_corpus(tmp_path / "in.jsonl", 60, "Metric")
        done = run_inferq(["ingest", str(corpus), "--endpoint", endpoint, "--out",
                           str(tmp_path / "out.jsonl"), "--quiet"], env, timeout_s=120)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    text, samples = scrape(metrics)
    assert CANARY_API_KEY not in text
    requests = values(samples, "inferq_requests_total")
    assert len(requests) == 1
    ((labels, n_requests),) = requests.items()
    assert dict(labels)["service"] == "hugging_face"
    assert re.fullmatch(r"[0-9a-f]{32}", dict(labels)["group"])
    n_429 = values(samples, "inferq_responses_429_total")[labels]
    assert 0 < n_429 < n_requests
    assert values(samples, "inferq_retries_total")[labels] >= n_429
    assert values(samples, "inferq_failures_total")[labels] == 0
    assert values(samples, "inferq_token_wait_seconds_total")[labels] > 0  # 600 rpm: paced
    assert values(samples, "inferq_ratelimit_tokens_granted_total")[labels] >= n_requests
    assert values(samples, "inferq_ratelimit_requests_per_minute")[labels] == 600
    assert values(samples, "inferq_queue_messages")[(("queue", "embed.hugging_face"),)] == 0


def test_scrapes_need_the_credential_and_the_health_path_does_not(metrics: str) -> None:
    """No or wrong credentials: 401 with a Basic challenge; /-/healthy answers anyone."""
    assert http_get(f"{metrics}/metrics")[0] == 401
    assert http_get(f"{metrics}/metrics", (AUTH_USER, "wrong"))[0] == 401
    assert http_get(f"{metrics}/-/healthy") == (200, "ok\n")


def test_refuses_to_start_without_auth_on_a_shared_redis(redis_url: str) -> None:
    """No INFERQ_FLOWER_BASIC_AUTH and no INFERQ_FLOWER_INSECURE: exit 2 with a clear error."""
    done = run_inferq(["metrics", "--port", str(free_port())], inferq_env(redis_url), timeout_s=60)
    assert done.returncode == 2
    assert "refusing to serve without authentication" in done.stderr.decode()


def test_unreachable_redis_is_reported_as_down(tmp_path: Path) -> None:
    """Redis gone: the endpoint still answers, with inferq_up 0 and nothing else made up."""
    port = free_port()
    env = inferq_env(f"redis://127.0.0.1:{free_port()}/0", INFERQ_FLOWER_INSECURE="1")
    with serving(inferq_argv("metrics", "--port", str(port)), env,
                 f"http://127.0.0.1:{port}/-/healthy", tmp_path / "metrics.log"):  # fmt: skip
        _, samples = scrape(f"http://127.0.0.1:{port}")
    assert samples == {("inferq_up", ()): 0.0}
