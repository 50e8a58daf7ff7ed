"""Workers die mid-job (SIGKILL of a pool child, then of a whole worker): nothing lost or doubled.

A prefork child killed mid-task gives its message back at once (``task_reject_on_worker_lost``). A
whole worker killed leaves its late-acknowledged messages in the Redis broker's ``unacked`` hash;
after ``INFERQ_VISIBILITY_TIMEOUT_S`` a surviving worker's sweep puts them back on their queue.
Either way a batch may run twice; the job store's idempotent writes make that harmless.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from ops.mock_provider import running
from tests.integration.conftest import WorkerGroup, inferq_env
from tests.integration.test_ingest import make_text, write_corpus
from tests.integration.test_reliability_support import (
    Ingest,
    assert_exactly_once,
    job_stats,
    mock_stats,
    put_hf_endpoint,
)

pytestmark = pytest.mark.integration

VISIBILITY_TIMEOUT_S = 4


@pytest.mark.timeout(240)
def test_killed_pool_child_and_killed_worker_lose_nothing(
    tmp_path: Path, redis_url: str, worker_factory: Callable[..., WorkerGroup]
) -> None:
    """SIGKILL a prefork child, then a whole worker, mid-job: every doc once, vectors paired."""
    env = inferq_env(
        redis_url,
        INFERQ_VISIBILITY_TIMEOUT_S=str(VISIBILITY_TIMEOUT_S),
        INFERQ_SLICE_DOCS="2",
        INFERQ_MAX_INFLIGHT_SLICES="40",
    )
    with running(latency_ms=300) as mock_url:
        endpoint = put_hf_endpoint(redis_url, mock_url, "hf-kill")
        group = worker_factory(
            [
                ["--queues", "chunk", "--pool", "solo"],
                ["--queues", "embed.hugging_face", "--concurrency", "4"],
                ["--queues", "embed.hugging_face", "--pool", "prefork", "--concurrency", "2"],
                ["--queues", "embed.hugging_face", "--concurrency", "4"],
            ],
            env,
        )
        docs = {f"d{i}": make_text(1 + i % 6) for i in range(240)}
        out = tmp_path / "out.jsonl"
        ingest = Ingest.start(write_corpus(tmp_path / "in.jsonl", docs), endpoint, out, env)

        ingest.wait_for_lines(15, timeout_s=90)
        children = psutil.Process(group.procs[2].pid).children()
        assert children, "the prefork worker has no pool children"
        os.kill(children[0].pid, signal.SIGKILL)

        ingest.wait_for_lines(60, timeout_s=90)
        assert "received" in group.log_text(), "no task reached the workers"
        killed_log = group.logs[1].read_text(errors="replace")
        group.kill(1)
        killed_at = time.monotonic()
        assert ingest.lines_written() < len(docs), "the job ended before the kill"

        # Bounded well below kombu's default sweep period (10 s x 10 = 100 s): the surviving
        # workers must hand the dead worker's messages over about one visibility timeout later.
        status = ingest.finish(timeout_s=60)
        recovered_s = time.monotonic() - killed_at
        print(f"\nkill: job done {recovered_s:.1f} s after the worker kill")
        assert status == 0, ingest.stderr()
        assert_exactly_once(out, docs)
        stats = job_stats(redis_url, ingest.job_id())
        assert stats["docs_embedded"] == str(len(docs))
        assert int(stats.get("docs_failed", 0)) == 0
        assert "inferq.embed_batch" in killed_log  # the killed worker was embedding when it died
        served = mock_stats(mock_url)
        print(
            f"kill: provider requests {served['embedding_requests']} for {stats['batches']} batches"
        )
