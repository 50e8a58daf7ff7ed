"""``inferq ingest`` and the producer API against real workers, real Redis and the mock provider."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import redis

from ops.mock_provider import running
from ops.mock_provider.vectors import vector_for
from pipeline.connections import Connections, broker_url_for
from pipeline.endpoints import EndpointRegistry, SecretCipher
from pipeline.jobs.handle import submit_documents
from pipeline.settings import CommonSettings
from tests.integration.conftest import WorkerGroup, inferq_env, run_inferq

pytestmark = pytest.mark.integration

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
]


def make_text(n: int) -> str:
    """A text of ``n`` sentences of 6 to 14 words, different for each ``n``."""
    sentences = []
    for i in range(n):
        words = [WORDS[(i * 7 + j * 3 + n) % len(WORDS)] for j in range(6 + (i + n) % 9)]
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def write_corpus(path: Path, docs: dict[str, str]) -> Path:
    """Write ``docs`` as JSONL."""
    path.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in docs.items()))
    return path


@pytest.fixture
def mock_url() -> Iterator[str]:
    """The mock provider on 127.0.0.1, 384-d vectors, no limit."""
    with running(latency_ms=2) as url:
        yield url


@pytest.fixture
def endpoint(redis_url: str, mock_url: str) -> str:
    """A hugging_face endpoint on the mock with small sentence chunks (many chunks per doc)."""
    settings = CommonSettings(redis_url=redis_url, secret_key="test-secret-key")
    registry = EndpointRegistry(
        redis.Redis.from_url(redis_url), SecretCipher.from_settings(settings)
    )
    registry.put(
        "text_embedding",
        "hf-mock",
        {
            "service": "hugging_face",
            "service_settings": {"api_key": "hf-test-key", "url": f"{mock_url}/hf/embed"},
            "chunking_settings": {
                "strategy": "sentence",
                "max_chunk_size": 20,
                "sentence_overlap": 1,
            },
        },
    )
    return "hf-mock"


@pytest.fixture
def workers(
    redis_url: str, endpoint: str, worker_factory: Callable[..., WorkerGroup]
) -> WorkerGroup:
    """A chunk worker and two hugging_face embed workers (so batches finish out of order)."""
    env = inferq_env(redis_url)
    return worker_factory(
        [
            ["--queues", "chunk", "--pool", "solo"],
            ["--queues", "embed.hugging_face", "--concurrency", "8"],
            ["--queues", "embed.hugging_face", "--concurrency", "8"],
        ],
        env,
    )


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """Parse a JSONL file."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def assert_paired(doc: dict[str, object], text: str) -> None:
    """Every chunk's offsets slice the text and its vector is the mock's vector of its text."""
    chunks = doc["chunks"]
    assert isinstance(chunks, list)
    assert chunks
    for c in chunks:
        assert text[c["start_offset"] : c["end_offset"]] == c["text"]
        np.testing.assert_allclose(c["embeddings"], vector_for(c["text"]), atol=1e-6)


def test_every_document_once_with_vectors_paired_to_their_chunks(
    tmp_path: Path, redis_url: str, endpoint: str, workers: WorkerGroup
) -> None:
    """120 documents across 2 embed workers: each appears once, every vector matches its chunk."""
    docs = {f"d{i}": make_text(1 + i % 11) for i in range(120)}
    out = tmp_path / "out.jsonl"
    done = run_inferq(
        [
            "ingest",
            str(write_corpus(tmp_path / "in.jsonl", docs)),
            "--endpoint",
            endpoint,
            "--out",
            str(out),
        ],
        inferq_env(redis_url),
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = read_jsonl(out)
    assert sorted(d["id"] for d in lines) == sorted(docs)
    for doc in lines:
        assert_paired(doc, docs[str(doc["id"])])
    assert sum(len(d["chunks"]) for d in lines) > 200  # many multi-chunk documents
    assert "120 embedded, 0 skipped, 0 failed" in done.stderr.decode()


def test_bad_lines_are_reported_with_line_numbers_and_the_rest_is_embedded(
    tmp_path: Path, redis_url: str, endpoint: str, workers: WorkerGroup
) -> None:
    """Malformed JSON, missing/bad/empty text, duplicate ids, bad UTF-8: reported, rest done."""
    raw = (
        b"\n".join(
            [
                b'{"id": "ok1", "text": "Fine text here."}',
                b'{"id": "broken", "text": ',
                b'{"id": "notext"}',
                b'{"id": "num", "text": 42}',
                b'{"id": "empty", "text": "   "}',
                b'{"id": "ok1", "text": "Same id again."}',
                b'{"id": "bad-utf8", "text": "caf\xe9"}',
                b'["not", "an", "object"]',
                b'{"id": "ok2", "text": "Also fine. Two sentences."}',
            ]
        )
        + b"\n"
    )
    (tmp_path / "in.jsonl").write_bytes(raw)
    out = tmp_path / "out.jsonl"
    done = run_inferq(
        ["ingest", str(tmp_path / "in.jsonl"), "--endpoint", endpoint, "--out", str(out)],
        inferq_env(redis_url),
    )
    assert done.returncode == 1, done.stderr.decode()
    assert sorted(d["id"] for d in read_jsonl(out)) == ["ok1", "ok2"]
    failures = {f["line"]: f for f in read_jsonl(tmp_path / "out.failures.jsonl")}
    assert {n: f["error"]["type"] for n, f in failures.items()} == {
        2: "malformed_json",
        3: "missing_text",
        4: "invalid_text",
        5: "empty_text",
        6: "duplicate_id",
        7: "invalid_utf8",
        8: "malformed_json",
    }
    assert failures[6]["id"] == "ok1"


def test_unknown_endpoint_is_refused_before_any_work(tmp_path: Path, redis_url: str) -> None:
    """An unknown inference id exits 2 with Elasticsearch's not-found text."""
    write_corpus(tmp_path / "in.jsonl", {"a": "text"})
    done = run_inferq(
        [
            "ingest",
            str(tmp_path / "in.jsonl"),
            "--endpoint",
            "nope",
            "--out",
            str(tmp_path / "o.jsonl"),
        ],
        inferq_env(redis_url),
    )
    assert done.returncode == 2
    assert "Inference endpoint not found [nope]" in done.stderr.decode()


def test_unchanged_documents_are_skipped_unless_asked(
    tmp_path: Path, redis_url: str, endpoint: str, workers: WorkerGroup
) -> None:
    """A second job skips unchanged texts by content hash; changed ones and --no-skip re-embed."""
    docs = {f"d{i}": make_text(2 + i % 3) for i in range(20)}
    corpus = write_corpus(tmp_path / "in.jsonl", docs)
    env = inferq_env(redis_url)
    first = run_inferq(
        ["ingest", str(corpus), "--endpoint", endpoint, "--out", str(tmp_path / "1.jsonl")], env
    )
    assert first.returncode == 0, first.stderr.decode()
    docs["d3"] = "A changed text."
    write_corpus(corpus, docs)
    second = run_inferq(
        ["ingest", str(corpus), "--endpoint", endpoint, "--out", str(tmp_path / "2.jsonl")], env
    )
    assert "1 embedded, 19 skipped" in second.stderr.decode()
    assert [d["id"] for d in read_jsonl(tmp_path / "2.jsonl")] == ["d3"]
    third = run_inferq(
        [
            "ingest",
            str(corpus),
            "--endpoint",
            endpoint,
            "--out",
            str(tmp_path / "3.jsonl"),
            "--no-skip-unchanged",
        ],
        env,
    )
    assert len(read_jsonl(tmp_path / "3.jsonl")) == 20, third.stderr.decode()


def test_an_interrupted_job_resumes_without_loss_or_duplicates(
    tmp_path: Path, redis_url: str, mock_url: str, endpoint: str, workers: WorkerGroup
) -> None:
    """Kill ingest mid-job, rerun with --job: every document exactly once, vectors paired."""
    docs = {f"d{i}": make_text(1 + i % 5) for i in range(300)}
    corpus = write_corpus(tmp_path / "in.jsonl", docs)
    out = tmp_path / "out.jsonl"
    env = inferq_env(redis_url, INFERQ_SLICE_DOCS="8", INFERQ_MAX_INFLIGHT_SLICES="2")
    # Imported here: the reliability helpers import this module's assertions.
    from tests.integration.test_reliability_support import Ingest, assert_exactly_once, mock_config

    mock_config(mock_url, latency_ms=30)
    ingest = Ingest.start(corpus, endpoint, out, env)
    ingest.wait_for_lines(40, timeout_s=60)
    ingest.proc.kill()
    ingest.proc.wait()
    job_id = ingest.job_id()
    assert 0 < ingest.lines_written() < 300
    mock_config(mock_url, latency_ms=0)
    resumed = run_inferq(
        ["ingest", str(corpus), "--endpoint", endpoint, "--out", str(out), "--job", job_id], env
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert_exactly_once(out, docs)
    shown = run_inferq(["jobs", "show", job_id], env)
    assert json.loads(shown.stdout)["docs_embedded"] == 300


def test_producer_api_submits_and_iterates_results(
    redis_url: str, endpoint: str, workers: WorkerGroup
) -> None:
    """submit_documents returns a handle whose results() yields each document once, paired."""
    from workers.app import app, configure

    settings = CommonSettings(redis_url=redis_url)
    configure(app, settings, Connections(redis_url, broker_url_for(redis_url), None))
    docs = {f"p{i}": make_text(1 + i % 4) for i in range(30)}
    handle = submit_documents(
        [{"id": k, "text": v} for k, v in docs.items()],
        inference_id=endpoint,
        client=redis.Redis.from_url(redis_url),
        celery_app=app,
    )
    results = list(handle.results(timeout_s=60))
    assert sorted(str(r["id"]) for r in results) == sorted(docs)
    for doc in results:
        assert_paired(doc, docs[str(doc["id"])])
    assert handle.stats()["docs_embedded"] == 30
