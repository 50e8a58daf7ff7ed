"""Provider faults: 429s (with and without ``Retry-After``), 5xx, timeouts and 413s are survived.

The mock draws faults from accepted requests (each still spends its pacing slot, as at a real
provider). A provider that stays down longer than the retry budget fails the documents with the
provider's reason; a resume of the job once it is back completes them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ops.mock_provider import running
from ops.mock_provider.vectors import vector_for
from tests.integration.conftest import WorkerGroup, inferq_env, run_inferq
from tests.integration.test_ingest import make_text, read_jsonl, write_corpus
from tests.integration.test_reliability_support import (
    Ingest,
    job_id_in,
    job_stats,
    mock_config,
    mock_stats,
    put_hf_endpoint,
)

pytestmark = pytest.mark.integration

RPM = 1200


def assert_paired_or_truncated(doc: dict[str, Any], text: str) -> None:
    """Offsets slice the text; the vector is its chunk's, or (truncated) of a halved prefix."""
    for c in doc["chunks"]:
        assert text[c["start_offset"] : c["end_offset"]] == c["text"]
        chunk = c["text"]
        candidates = [chunk]
        while c.get("truncated") and len(candidates[-1]) > 1:
            candidates.append(candidates[-1][: math.floor(len(candidates[-1]) * 0.5)])
        got = np.asarray(c["embeddings"])
        assert any(np.allclose(got, vector_for(t), atol=1e-6) for t in candidates), c["text"]


@pytest.mark.timeout(200)
def test_faulty_provider_every_document_embedded_limit_held_retries_counted(
    tmp_path: Path, redis_url: str, worker_factory: Callable[..., WorkerGroup]
) -> None:
    """30 % 429 (Retry-After, then none), 5 % 5xx, 3 % timeouts, 3 % 413: all embedded, counted."""
    env = inferq_env(
        redis_url,
        INFERQ_HTTP_TIMEOUT_S="1",
        INFERQ_RETRY_MAX_ATTEMPTS="20",
        INFERQ_RETRY_MAX_TOTAL_S="90",
        INFERQ_SLICE_DOCS="2",
    )
    faults = {
        "fail_429": 0.30,
        "retry_after_s": 0.2,
        "fail_5xx": 0.05,
        # hugging_face retries 502/503 (as rate limiting, Elasticsearch's policy); 500 is final.
        "status_5xx": 503,
        "fail_timeout": 0.03,
        "hang_s": 3,
        "fail_413": 0.03,
    }
    with running(rpm=RPM, latency_ms=5, **faults) as mock_url:
        endpoint = put_hf_endpoint(redis_url, mock_url, "hf-faults", rpm=RPM)
        worker_factory(
            [
                ["--queues", "chunk", "--pool", "solo"],
                ["--queues", "embed.hugging_face", "--concurrency", "8"],
                ["--queues", "embed.hugging_face", "--concurrency", "8"],
            ],
            env,
        )
        docs = {f"d{i}": make_text(1 + i % 5) for i in range(180)}
        out = tmp_path / "out.jsonl"
        ingest = Ingest.start(write_corpus(tmp_path / "in.jsonl", docs), endpoint, out, env)
        ingest.wait_for_lines(60, timeout_s=120)
        mock_config(mock_url, retry_after_s=0)  # from now on, 429s without Retry-After
        status = ingest.finish(timeout_s=150)
        served = mock_stats(mock_url, limit_rpm=RPM, log=100_000)

    assert status == 0, ingest.stderr()
    lines = read_jsonl(out)
    assert sorted(str(d["id"]) for d in lines) == sorted(docs)
    for doc in lines:
        assert_paired_or_truncated(doc, docs[str(doc["id"])])
    stats = job_stats(redis_url, ingest.job_id())
    outcomes = served["by_outcome"]
    print(
        f"\nfaults: {served['embedding_requests']} requests, outcomes {outcomes}, job counters "
        + ", ".join(
            f"{k}={stats.get(k, 0)}"
            for k in ("batches", "requests", "responses_429", "retries", "splits", "truncated")
        )
    )
    # Every fault kind happened, and every request and 429 the provider saw is in the job stats.
    for kind in ("injected_429", "injected_5xx", "injected_timeout"):
        assert outcomes.get(kind, 0) > 0, outcomes
    assert int(stats["requests"]) == served["embedding_requests"]
    assert int(stats["responses_429"]) == served["by_status"]["429"] + served["by_status"]["503"]
    assert int(stats["retries"]) >= outcomes["injected_429"] + outcomes["injected_5xx"]
    assert int(stats.get("splits", 0)) + int(stats.get("truncated", 0)) > 0
    # The limit held: on average no faster than the endpoint's rate (pacing 429s, refusals of
    # requests that arrived a few ms early, are counted above: see test_reliability_limit).
    seen = sorted(t for t, _, _ in served["log"])
    assert (len(seen) - 1) / (seen[-1] - seen[0]) * 60 <= RPM * 1.001


@pytest.mark.timeout(200)
def test_provider_down_past_the_budget_fails_with_reason_and_resume_completes(
    tmp_path: Path, redis_url: str, worker_factory: Callable[..., WorkerGroup]
) -> None:
    """Every call 503 past the retry budget: docs fail with the reason; a resume embeds them."""
    env = inferq_env(redis_url, INFERQ_RETRY_MAX_ATTEMPTS="3", INFERQ_RETRY_MAX_TOTAL_S="5")
    docs = {f"d{i}": make_text(1 + i % 3) for i in range(24)}
    corpus = write_corpus(tmp_path / "in.jsonl", docs)
    out = tmp_path / "out.jsonl"
    with running(fail_5xx=1.0, status_5xx=503) as mock_url:
        endpoint = put_hf_endpoint(redis_url, mock_url, "hf-down")
        worker_factory([["--queues", "chunk,embed.hugging_face", "--concurrency", "4"]], env)
        first = run_inferq(
            ["ingest", str(corpus), "--endpoint", endpoint, "--out", str(out)], env, timeout_s=120
        )
        assert first.returncode == 1, first.stderr.decode()
        failures = read_jsonl(tmp_path / "out.failures.jsonl")
        assert sorted(str(f["id"]) for f in failures) == sorted(docs)
        for failure in failures:
            # Elasticsearch's hugging_face policy retries 503 as rate limiting (500 is permanent).
            assert failure["error"]["type"] == "rate_limited", failure
            assert "status [503]" in failure["error"]["reason"], failure
        assert not out.read_text()
        job_id = job_id_in(first.stderr.decode())

        mock_config(mock_url, fail_5xx=0.0)  # the provider recovers
        resumed = run_inferq(
            ["ingest", str(corpus), "--endpoint", endpoint, "--out", str(out), "--job", job_id],
            env,
            timeout_s=120,
        )
    assert resumed.returncode == 0, resumed.stderr.decode()
    lines = read_jsonl(out)
    assert sorted(str(d["id"]) for d in lines) == sorted(docs)
    for doc in lines:
        assert_paired_or_truncated(doc, docs[str(doc["id"])])
    # Each document ends in exactly one file: the resume retried every failure.
    assert read_jsonl(tmp_path / "out.failures.jsonl") == []
    stats = job_stats(redis_url, job_id)
    assert (stats["docs_embedded"], stats["docs_failed"]) == (str(len(docs)), "0")
