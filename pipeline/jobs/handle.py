"""A submitted job, for the application that submitted it: wait, poll, iterate, cancel."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import orjson
import redis
from celery import Celery

from pipeline.errors import JobError
from pipeline.jobs.producer import Submission, SubmitOptions, as_documents, start_job
from pipeline.jobs.reader import BadLine, Document
from pipeline.jobs.sink import JsonlSink as JsonlSink
from pipeline.jobs.sink import assemble
from pipeline.jobs.store import COUNTERS, JobStore


class JobHandle:
    """A job and (when this process submitted it) its current run.

    Args:
        store: the job's store.
        submission: the run this process made, or None for a job looked up by id.
    """

    def __init__(self, store: JobStore, submission: Submission | None = None) -> None:
        self.store = store
        self.submission = submission

    @property
    def job_id(self) -> str:
        """The job id (resume with it)."""
        return self.store.job_id

    def stats(self) -> dict[str, int | str]:
        """Counters and metadata of the job."""
        meta = self.store.meta()
        stats: dict[str, int | str] = {name: int(meta.get(name, 0)) for name in COUNTERS}
        stats.update({k: v for k, v in meta.items() if k not in stats})
        stats["job_id"] = self.job_id
        return stats

    def is_finished(self) -> bool:
        """True when every document of this run reached embedded, skipped or failed."""
        if self.submission is None:
            return self.store.meta().get("finished") == "1"
        return (
            self.store.meta().get("producer_done") == str(self.submission.run)
            and self.submission.unfinished() <= 0
        )

    def wait(
        self, timeout_s: float | None = None, poll_interval_s: float = 0.2
    ) -> dict[str, int | str]:
        """Block until :meth:`is_finished` (or raise JobError after ``timeout_s``); return stats."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not self.is_finished():
            self.redrive_stalled()
            if deadline is not None and time.monotonic() > deadline:
                raise JobError(f"job [{self.job_id}] not finished after {timeout_s} s")
            time.sleep(poll_interval_s)
        return self.stats()

    def results(self, timeout_s: float | None = None) -> Iterator[dict[str, object]]:
        """Yield each finished document once: output lines, failures (``error``), skips.

        This consumes the job's done stream (like the JSONL sink; use one or the other).
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        cursor = self.store.meta().get("sink_cursor", "0")
        while True:
            entries = self.store.read_done(cursor, 256, 200)
            if entries:
                batch = assemble(self.store, self.store.meta()["inference_id"], entries)
                for line in batch.documents + batch.failures:
                    yield orjson.loads(line)
                for entry in entries:
                    if entry.state == "skipped":
                        yield {"id": entry.doc_id, "skipped": entry.reason}
                cursor = batch.cursor
                self.store.commit(
                    cursor=cursor,
                    out_bytes=0,
                    failures_bytes=0,
                    written=batch.written,
                    inference_id=self.store.meta()["inference_id"],
                    counts=batch.counts,
                )
            elif self.is_finished() and cursor in (self.store.last_done_id(), "0"):
                return
            self.redrive_stalled()
            if deadline is not None and time.monotonic() > deadline:
                raise JobError(f"job [{self.job_id}] not finished after {timeout_s} s")

    def redrive_stalled(self) -> int:
        """Re-send this process's unfinished documents if the job stalled (see producer)."""
        return 0 if self.submission is None else self.submission.redrive_stalled()

    def cancel(self) -> None:
        """Cancel: queued work is dropped and its documents fail with ``cancelled``."""
        self.store.set(cancelled="1")


def submit_documents(
    documents: Iterable[Document | BadLine | Mapping[str, str]],
    *,
    inference_id: str,
    client: redis.Redis[bytes],
    celery_app: Celery,
    job_id: str | None = None,
    options: SubmitOptions | None = None,
    on_wait: Callable[[], None] | None = None,
) -> JobHandle:
    """Submit documents for embedding and return a handle to wait on, poll, or iterate.

    Args:
        documents: ``{"id", "text"}`` mappings, or the reader's documents and bad lines.
        inference_id: the endpoint (its chunking settings and service apply).
        client: Redis (registry, jobs, results).
        celery_app: a configured app (see :func:`workers.app.configure`).
        job_id: resume this job: documents it already embedded are not sent again.
        options: slice size, back-pressure bound, skip-unchanged.
        on_wait: called while back-pressure holds the producer (e.g. to drain a sink).

    Returns:
        The job's handle. Submission is complete when this returns; the work may not be.
    """
    store, resume = start_job(client, inference_id, job_id=job_id)
    submission = Submission(
        store, inference_id, celery_app, options or SubmitOptions(), resume=resume
    )
    submission.submit(as_documents(documents), on_wait or (lambda: None))
    return JobHandle(store, submission)


def write_jsonl(handle: JobHandle, out: Path, failures: Path) -> JsonlSink:
    """A sink writing ``handle``'s documents to ``out`` / ``failures`` (see :class:`JsonlSink`)."""
    return JsonlSink(handle.store, handle.store.meta()["inference_id"], out, failures)
