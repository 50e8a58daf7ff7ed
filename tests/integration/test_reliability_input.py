"""Bad input: malformed, huge (50 MB), binary and empty documents are reported; the rest embeds."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from ops.mock_provider import running
from tests.integration.conftest import WorkerGroup, inferq_env, run_inferq
from tests.integration.test_ingest import make_text, read_jsonl
from tests.integration.test_reliability_support import (
    assert_exactly_once,
    corpus_lines,
    put_hf_endpoint,
)

pytestmark = pytest.mark.integration

HUGE_BYTES = 50 * 1024 * 1024


def binary_line(rng: random.Random, size: int) -> bytes:
    """Random bytes without a newline (so they stay one input line), never valid UTF-8."""
    raw = bytes(rng.randrange(256) for _ in range(size)).replace(b"\n", b" ")
    return b"\xff" + raw


@pytest.mark.timeout(180)
def test_bad_documents_are_reported_and_the_rest_of_the_job_completes(
    tmp_path: Path, redis_url: str, worker_factory: Callable[..., WorkerGroup]
) -> None:
    """50 MB, binary, NUL-only, empty, malformed lines: each reported by type; good docs embed."""
    env = inferq_env(redis_url)
    rng = random.Random(7)
    good = {f"ok{i}": make_text(1 + i % 4) for i in range(30)}
    good["nul-inside"] = "Text with a \x00 NUL inside. It is still text."
    bad: list[tuple[bytes, str]] = [
        (b'{"id": "huge", "text": "' + b"word " * (HUGE_BYTES // 5) + b'"}', "document_too_large"),
        (binary_line(rng, 4096), "invalid_utf8"),
        (b"\x00\x01\x02\x03 binary but valid utf-8", "malformed_json"),
        (b'{"id": "empty", "text": ""}', "empty_text"),
        (b'{"id": "blank", "text": " \\n\\t "}', "empty_text"),
        (b'{"id": "lone-surrogate", "text": "\\ud800"}', "invalid_text"),
        (b'{"id": "deep", "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "malformed_json"),
        # Beyond Python's 4300-digit int limit: json raises a plain ValueError.
        (b'{"id": ' + b"1" * 5000 + b', "text": "huge id"}', "malformed_json"),
        (b'{"text": "no id"}', "invalid_id"),
    ]
    lines = corpus_lines(good).splitlines(keepends=True)
    # Bad lines between good ones: line numbers in the report must still be exact.
    for k, (line, _) in enumerate(bad):
        lines.insert(2 * k + 1, line + b"\n")
    corpus = tmp_path / "in.jsonl"
    corpus.write_bytes(b"".join(lines))
    expected = {2 * k + 2: error_type for k, (_, error_type) in enumerate(bad)}

    with running(latency_ms=1) as mock_url:
        endpoint = put_hf_endpoint(redis_url, mock_url, "hf-input")
        worker_factory([["--queues", "chunk,embed.hugging_face", "--concurrency", "4"]], env)
        out = tmp_path / "out.jsonl"
        done = run_inferq(
            ["ingest", str(corpus), "--endpoint", endpoint, "--out", str(out)], env, timeout_s=150
        )
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 1, stderr
    failures = read_jsonl(tmp_path / "out.failures.jsonl")
    assert_exactly_once(out, good)
    assert {f["line"]: f["error"]["type"] for f in failures} == expected
    for failure in failures:
        assert failure["error"]["reason"], failure
        assert len(str(failure)) < 2000, "a report must not echo the document"
    assert f"{len(good)} embedded, 0 skipped, {len(bad)} failed" in stderr
