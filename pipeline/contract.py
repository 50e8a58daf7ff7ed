"""The wire contract between the producer and the workers: task names and payload models.

Task messages carry ids, chunk texts and offsets, never secrets: a worker reads an endpoint's
secrets from the registry itself. Every payload is a pydantic model, validated by the task before
any work is done.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

# Stable task names (Flower and the broker see these; renaming one strands queued messages).
CHUNK_TASK = "inferq.chunk_slice"
EMBED_TASK = "inferq.embed_batch"
# Message header holding the epoch seconds at which a task was sent (queue age metrics).
ENQUEUED_AT_HEADER = "inferq_enqueued_at"


def send_headers() -> dict[str, float]:
    """Headers every task is sent with."""
    return {ENQUEUED_AT_HEADER: time.time()}


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SliceDocument(_Payload):
    """A document as the producer submits it.

    Attributes:
        id: the caller's document id (unique within a job).
        text: the text to chunk and embed.
        content_hash: sha256 hex of the text (skip-unchanged and resume bookkeeping).
    """

    id: str
    text: str
    content_hash: str


class ChunkSlice(_Payload):
    """Payload of :data:`CHUNK_TASK`: a slice of documents of one job.

    Attributes:
        job_id: the job.
        inference_id: the endpoint whose chunking settings and service apply.
        slice_no: position of the slice in the job (batch ids derive from it, so a redelivered
            slice produces the same batch ids and its writes are idempotent).
        documents: the documents, in input order.
    """

    job_id: str
    inference_id: str
    slice_no: int = Field(ge=0)
    documents: list[SliceDocument]


class BatchItem(_Payload):
    """One chunk to embed.

    Attributes:
        doc_id: the document the chunk belongs to.
        chunk_index: the chunk's position in its document (0-based, before any 512-merge).
        start: code-point offset of the chunk in the document text.
        end: code-point end offset (exclusive).
        text: the chunk text (``document[start:end]``).
    """

    doc_id: str
    chunk_index: int = Field(ge=0)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class EmbedBatch(_Payload):
    """Payload of :data:`EMBED_TASK`: one provider request.

    Attributes:
        job_id: the job.
        inference_id: the endpoint to call.
        batch_id: deterministic id (``<slice_no>-<n>``, plus ``a``/``b`` suffixes for halves
            of a split batch).
        items: the chunks, at most the service's maximum batch size.
    """

    job_id: str
    inference_id: str
    batch_id: str
    items: list[BatchItem]
