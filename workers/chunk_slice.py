"""The producer task's work: chunk a slice with the endpoint's settings, pack batches, send them."""

from __future__ import annotations

import logging

from celery import Celery

from pipeline.chunking import chunk
from pipeline.constants import embed_queue
from pipeline.contract import EMBED_TASK, ChunkSlice, EmbedBatch, send_headers
from pipeline.jobs.batching import Span, pack_slice
from workers.runtime import WorkerRuntime
from workers.work import open_work

log = logging.getLogger(__name__)


def batch_repr(batch: EmbedBatch) -> str:
    """What Flower and task events show of an embed task: ids and a count, never texts."""
    return (
        f"{{'job_id': '{batch.job_id}', 'batch_id': '{batch.batch_id}', "
        f"'inference_id': '{batch.inference_id}', 'items': {len(batch.items)}}}"
    )


def send_batch(celery_app: Celery, service: str, batch: EmbedBatch) -> None:
    """Queue one embed task; Flower shows the job and batch ids, not the texts."""
    celery_app.send_task(
        EMBED_TASK,
        kwargs={"payload": batch.model_dump(mode="json")},
        queue=embed_queue(service),
        headers=send_headers(),
        kwargsrepr=batch_repr(batch),
    )


def chunk_and_dispatch(rt: WorkerRuntime, celery_app: Celery, work: ChunkSlice) -> None:
    """Chunk ``work``'s documents, record their chunk counts, and send the embed batches.

    Documents of a cancelled job, or of an endpoint that no longer exists, fail with that reason.
    """
    opened = open_work(rt, work.job_id, work.inference_id, [d.id for d in work.documents])
    if opened is None:
        return
    store, endpoint, adapter = opened.store, opened.endpoint, opened.adapter
    settings = endpoint.chunking_settings

    def cut(text: str) -> list[Span]:
        if settings is None:
            return [Span(0, len(text))]
        return [Span(c.start, c.end) for c in chunk(text, settings)]

    packed = pack_slice(
        job_id=work.job_id,
        inference_id=work.inference_id,
        slice_no=work.slice_no,
        documents=work.documents,
        cut=cut,
        max_batch_size=adapter.max_batch_size(endpoint.service_settings),
    )
    for doc_id, error_type, reason in packed.failed:
        store.finish_docs([doc_id], "failed", error_type, reason)
    store.set_expected(packed.expected)
    for batch in packed.batches:
        send_batch(celery_app, endpoint.service, batch)
    chunks = sum(n for _, n in packed.expected)
    store.incr(chunks=chunks, batches=len(packed.batches))
    log.info(
        "chunk.slice_done job=%s slice=%d docs=%d chunks=%d batches=%d",
        work.job_id,
        work.slice_no,
        len(work.documents),
        chunks,
        len(packed.batches),
    )
