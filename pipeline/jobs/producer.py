"""Submitting documents: the producer API behind ``inferq ingest`` and producer applications.

Example::

    from pipeline.jobs import producer
    handle = producer.submit_documents(
        [{"id": "a", "text": "..."}], inference_id="my-e5", client=redis_client, celery_app=app)
    for doc in handle.results():   # or handle.wait(timeout_s=600)
        print(doc["id"], len(doc.get("chunks", [])))

Documents travel in slices of ``slice_docs`` to the ``chunk`` queue. The producer waits while more
than ``max_inflight_docs`` submitted documents are unfinished, so memory stays flat and the queues
stay short however large the input.

The producer also keeps the documents it sent until they are final, and re-sends the open ones
when the whole job has made no progress for ``redrive_after_s``
(:meth:`Submission.redrive_stalled`).
A broker can lose a message: kombu's Redis transport pops a task (``BRPOP``) before it records it
as unacknowledged, so a Redis crash between the two loses that task. Every write a task makes is
idempotent, so a re-sent document costs provider calls, never a duplicate.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice

import redis
from celery import Celery

from pipeline import constants as c
from pipeline.contract import CHUNK_TASK, ChunkSlice, SliceDocument, send_headers
from pipeline.jobs.reader import BadLine, Document, content_hash
from pipeline.jobs.store import JobStore

log = logging.getLogger(__name__)

# How often the producer forgets sent documents that became final (seconds).
PRUNE_INTERVAL_S = 5.0


@dataclass(frozen=True)
class SubmitOptions:
    """Tunables of a submission.

    Attributes:
        slice_docs: documents per chunk task.
        max_inflight_docs: submitted but unfinished documents before the producer waits.
        skip_unchanged: skip documents whose text was already embedded with this endpoint.
        poll_interval_s: how often a waiting producer checks progress.
        redrive_after_s: re-send unfinished documents after the job made no progress this long.
    """

    slice_docs: int = 64
    max_inflight_docs: int = 2048
    skip_unchanged: bool = True
    poll_interval_s: float = 0.2
    redrive_after_s: float = 600.0


def new_job_id() -> str:
    """A sortable, unique job id (``j20261120T235901-1a2b3c``)."""
    return time.strftime("j%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


def as_documents(
    items: Iterable[Document | BadLine | Mapping[str, str]],
) -> Iterator[Document | BadLine]:
    """Accept reader output or plain ``{"id", "text"}`` mappings (numbered from 1)."""
    for number, item in enumerate(items, 1):
        if isinstance(item, Document | BadLine):
            yield item
        else:
            text, doc_id = item["text"], str(item["id"])
            yield Document(number, doc_id, text, content_hash(text))


class Submission:
    """One run of a job: registers documents, skips what needs no work, sends slices."""

    def __init__(
        self,
        store: JobStore,
        inference_id: str,
        celery_app: Celery,
        options: SubmitOptions,
        *,
        resume: bool,
    ) -> None:
        self.store = store
        self.inference_id = inference_id
        self.app = celery_app
        self.options = options
        meta = store.meta()
        self.run = int(meta.get("runs", 0)) + 1
        store.set(runs=str(self.run), finished="0")
        if resume:
            store.reopen_failed()
        self.base_final = store.final_count()
        self.expected_final = 0
        self.slices = int(meta.get("slices", 0))
        # Slices sent whose documents may still be open (pruned every PRUNE_INTERVAL_S).
        self._open: dict[int, list[SliceDocument]] = {}
        now = time.monotonic()
        self._progress = (self.base_final, now)
        self._pruned_at = now

    def unfinished(self) -> int:
        """Documents of this run submitted but not yet in a final state."""
        return self.expected_final - (self.store.final_count() - self.base_final)

    def submit(self, items: Iterable[Document | BadLine], on_wait: Callable[[], None]) -> None:
        """Submit everything, calling ``on_wait`` while back-pressure holds the producer."""
        iterator = iter(items)
        while batch := list(islice(iterator, self.options.slice_docs)):
            while self.unfinished() >= self.options.max_inflight_docs:
                self.redrive_stalled()
                on_wait()
                time.sleep(self.options.poll_interval_s)
            if self.store.is_cancelled():
                break
            self._submit_slice(batch)
        self.store.set(producer_done=str(self.run))

    def _submit_slice(self, batch: list[Document | BadLine]) -> None:
        bad = [b for b in batch if isinstance(b, BadLine)]
        docs = [d for d in batch if isinstance(d, Document)]
        for b in bad:
            self.expected_final += self.store.report_bad_line(b.line, b.id, b.error_type, b.reason)
        fresh = self.store.register_docs(self.run, [(d.id, d.content_hash) for d in docs])
        for d, is_fresh in zip(docs, fresh, strict=True):
            if not is_fresh:
                self.expected_final += self.store.report_bad_line(
                    d.line, d.id, "duplicate_id", f"id [{d.id}] appears on an earlier line"
                )
        docs = [d for d, is_fresh in zip(docs, fresh, strict=True) if is_fresh]
        ids = [d.id for d in docs]
        states = self.store.states(ids)
        written = self.store.written_hashes(ids)
        known = self._known_hashes(ids)
        send: list[Document] = []
        skipped: list[str] = []
        for d, state, w, k in zip(docs, states, written, known, strict=True):
            if w == d.content_hash or state is not None:
                continue  # done by an earlier run of this job, or finished and awaiting the sink
            if self.options.skip_unchanged and k == d.content_hash:
                skipped.append(d.id)
            else:
                send.append(d)
        self.expected_final += self.store.finish_docs(
            skipped, "skipped", "unchanged", "text unchanged since it was last embedded"
        )
        self.store.incr(docs_submitted=len(batch))
        if send:
            self._send(
                [SliceDocument(id=d.id, text=d.text, content_hash=d.content_hash) for d in send]
            )
            self.expected_final += len(send)

    def _known_hashes(self, ids: list[str]) -> list[str | None]:
        if not ids or not self.options.skip_unchanged:
            return [None] * len(ids)
        key = c.key(c.CONTENT_HASHES_KEY, inference_id=self.inference_id)
        return [None if v is None else v.decode() for v in self.store.client.hmget(key, ids)]

    def _send(self, docs: list[SliceDocument]) -> None:
        work = ChunkSlice(
            job_id=self.store.job_id,
            inference_id=self.inference_id,
            slice_no=self.slices,
            documents=docs,
        )
        self.app.send_task(
            CHUNK_TASK,
            kwargs={"payload": work.model_dump(mode="json")},
            queue=c.CHUNK_QUEUE,
            headers=send_headers(),
            kwargsrepr=f"{{'job_id': '{work.job_id}', 'slice_no': {work.slice_no}, "
            f"'inference_id': '{work.inference_id}', 'documents': {len(docs)}}}",
        )
        self._open[self.slices] = docs
        self.slices += 1
        self.store.set(slices=str(self.slices))

    def redrive_stalled(self) -> int:
        """Re-send the open documents of this run if the job is stalled; returns how many.

        Stalled means no document of the job reached a final state for ``redrive_after_s``
        while documents this run sent are open: their task messages were lost (see the module
        docstring). Cheap to call often: one ``HLEN`` unless it prunes or re-sends.
        """
        now = time.monotonic()
        final = self.store.final_count()
        if final != self._progress[0]:
            self._progress = (final, now)
        stalled = bool(self._open) and now - self._progress[1] >= self.options.redrive_after_s
        if stalled or now - self._pruned_at >= PRUNE_INTERVAL_S:
            self._prune(now)
        if not stalled:
            return 0
        docs = [d for slice_docs in self._open.values() for d in slice_docs]
        if not docs or self.store.is_cancelled():
            return 0
        self._open.clear()
        for start in range(0, len(docs), self.options.slice_docs):
            self._send(docs[start : start + self.options.slice_docs])
        self.store.incr(docs_redriven=len(docs))
        log.warning(
            "job.redrive job=%s docs=%d stalled_s=%.0f",
            self.store.job_id,
            len(docs),
            now - self._progress[1],
        )
        self._progress = (final, now)
        return len(docs)

    def _prune(self, now: float) -> None:
        """Forget sent documents that reached a final state."""
        self._pruned_at = now
        ids = [d.id for docs in self._open.values() for d in docs]
        states = iter(self.store.states(ids))
        for slice_no, docs in list(self._open.items()):
            still_open = [d for d in docs if next(states) is None]
            if still_open:
                self._open[slice_no] = still_open
            else:
                del self._open[slice_no]


def start_job(
    client: redis.Redis[bytes],
    inference_id: str,
    *,
    job_id: str | None = None,
    meta: Mapping[str, str] | None = None,
) -> tuple[JobStore, bool]:
    """Create a job, or reopen ``job_id``; returns the store and whether it is a resume."""
    store = JobStore(client, job_id or new_job_id())
    resume = store.exists()
    store.create(inference_id, dict(meta or {}))
    return store, resume
