"""Submitting documents: the producer API behind ``inferq ingest`` and producer applications.

Example::

    from pipeline.jobs import producer
    handle = producer.submit_documents(
        [{"id": "a", "text": "..."}], inference_id="my-e5", client=redis_client, celery_app=app)
    for doc in handle.results():   # or handle.wait(timeout_s=600)
        print(doc["id"], len(doc.get("chunks", [])))

Documents travel in slices of ``slice_docs`` to the ``chunk`` queue. The producer never holds more
than one slice, and waits while more than ``max_inflight_docs`` submitted documents are unfinished,
so memory stays flat and the queues stay short however large the input.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class SubmitOptions:
    """Tunables of a submission.

    Attributes:
        slice_docs: documents per chunk task.
        max_inflight_docs: submitted but unfinished documents before the producer waits.
        skip_unchanged: skip documents whose text was already embedded with this endpoint.
        poll_interval_s: how often a waiting producer checks progress.
    """

    slice_docs: int = 64
    max_inflight_docs: int = 2048
    skip_unchanged: bool = True
    poll_interval_s: float = 0.2


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

    def unfinished(self) -> int:
        """Documents of this run submitted but not yet in a final state."""
        return self.expected_final - (self.store.final_count() - self.base_final)

    def submit(self, items: Iterable[Document | BadLine], on_wait: Callable[[], None]) -> None:
        """Submit everything, calling ``on_wait`` while back-pressure holds the producer."""
        iterator = iter(items)
        while batch := list(islice(iterator, self.options.slice_docs)):
            while self.unfinished() >= self.options.max_inflight_docs:
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
            self._send(send)

    def _known_hashes(self, ids: list[str]) -> list[str | None]:
        if not ids or not self.options.skip_unchanged:
            return [None] * len(ids)
        key = c.key(c.CONTENT_HASHES_KEY, inference_id=self.inference_id)
        return [None if v is None else v.decode() for v in self.store.client.hmget(key, ids)]

    def _send(self, docs: list[Document]) -> None:
        work = ChunkSlice(
            job_id=self.store.job_id,
            inference_id=self.inference_id,
            slice_no=self.slices,
            documents=[
                SliceDocument(id=d.id, text=d.text, content_hash=d.content_hash) for d in docs
            ],
        )
        self.app.send_task(
            CHUNK_TASK,
            kwargs={"payload": work.model_dump(mode="json")},
            queue=c.CHUNK_QUEUE,
            headers=send_headers(),
            kwargsrepr=f"{{'job_id': '{work.job_id}', 'slice_no': {work.slice_no}, "
            f"'inference_id': '{work.inference_id}', 'documents': {len(docs)}}}",
        )
        self.slices += 1
        self.expected_final += len(docs)
        self.store.set(slices=str(self.slices))


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
