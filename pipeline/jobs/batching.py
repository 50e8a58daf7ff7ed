"""Cutting a slice of documents into chunks and packing them into provider-sized batches.

Chunks of many documents share a batch (Elasticsearch's ``batchChunksAcrossInputs``), and a long
document's chunks may span several batches (reference §d.3). Batch ids derive from the slice number
and the batch's position, so a redelivered slice produces the same batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipeline.contract import BatchItem, EmbedBatch, SliceDocument
from pipeline.errors import InferqError


@dataclass(frozen=True)
class Span:
    """A chunk's code-point span in its document."""

    start: int
    end: int


@dataclass(frozen=True)
class PackedSlice:
    """What the chunk task produces for one slice.

    Attributes:
        expected: (doc_id, chunk count) for every document that was chunked.
        batches: the embed requests, in document order.
        failed: (doc_id, error_type, reason) for documents that could not be chunked.
    """

    expected: list[tuple[str, int]]
    batches: list[EmbedBatch]
    failed: list[tuple[str, str, str]]


def pack_slice(
    *,
    job_id: str,
    inference_id: str,
    slice_no: int,
    documents: Sequence[SliceDocument],
    cut: Callable[[str], Sequence[Span]],
    max_batch_size: int,
) -> PackedSlice:
    """Chunk every document with ``cut`` and pack the chunks into batches.

    Args:
        job_id: the job.
        inference_id: the endpoint.
        slice_no: the slice's number (batch ids are ``<slice_no>-<n>``).
        documents: the slice's documents.
        cut: the endpoint's chunker: text -> spans (code points).
        max_batch_size: the service's maximum inputs per request.

    Returns:
        The expected counts, the batches and the documents that failed to chunk.
    """
    expected: list[tuple[str, int]] = []
    failed: list[tuple[str, str, str]] = []
    items: list[BatchItem] = []
    for doc in documents:
        try:
            spans = cut(doc.text)
        except InferqError as exc:  # e.g. text ICU cannot segment
            failed.append((doc.id, "chunking_error", str(exc)))
            continue
        expected.append((doc.id, len(spans)))
        items.extend(
            BatchItem(
                doc_id=doc.id,
                chunk_index=i,
                start=s.start,
                end=s.end,
                text=doc.text[s.start : s.end],
            )
            for i, s in enumerate(spans)
        )
    batches = [
        EmbedBatch(
            job_id=job_id,
            inference_id=inference_id,
            batch_id=f"{slice_no}-{n}",
            items=items[start : start + max_batch_size],
        )
        for n, start in enumerate(range(0, len(items), max_batch_size))
    ]
    return PackedSlice(expected=expected, batches=batches, failed=failed)
