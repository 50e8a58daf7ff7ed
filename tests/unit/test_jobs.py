"""Pure parts of jobs: the JSONL reader, the chunk codec, batching and the 512-chunk merge."""

from __future__ import annotations

import json

import numpy as np

from pipeline.contract import SliceDocument
from pipeline.errors import InputError
from pipeline.jobs.batching import Span, pack_slice
from pipeline.jobs.codec import ChunkResult, decode, encode
from pipeline.jobs.reader import BadLine, Document, content_hash, read_documents
from pipeline.jobs.sink import MAX_CHUNKS, document_line, merge_chunks


def _read(*lines: bytes, max_chars: int = 100) -> list[Document | BadLine]:
    return list(read_documents(list(lines), max_chars=max_chars))


def test_reader_accepts_a_document_and_hashes_its_text() -> None:
    """A valid line becomes a Document with its line number and content hash."""
    (doc,) = _read(b'{"id": "a", "text": "hello"}')
    assert doc == Document(1, "a", "hello", content_hash("hello"))


def test_reader_numbers_lines_and_skips_blank_ones() -> None:
    """Blank lines are skipped but still counted, so reported numbers match the file."""
    out = _read(b"\n", b'{"id": 7, "text": "x"}')
    assert out == [Document(2, "7", "x", content_hash("x"))]


def test_reader_reports_each_kind_of_bad_line() -> None:
    """Each defect gets its own stable error type and the reading goes on."""
    out = _read(
        b"{not json",
        b"[1, 2]",
        b'{"text": "no id"}',
        b'{"id": true, "text": "bool id"}',
        b'{"id": "a"}',
        b'{"id": "a", "text": 3}',
        b'{"id": "a", "text": " \\n "}',
        b'{"id": "a", "text": "' + b"x" * 101 + b'"}',
        b'{"id": "a", "text": "caf\xe9"}',
        b'{"id": "a", "text": "\\ud800 lone"}',
        b'{"id": "ok", "text": "fine"}',
    )
    kinds = [o.error_type if isinstance(o, BadLine) else "ok" for o in out]
    assert kinds == [
        "malformed_json",
        "malformed_json",
        "invalid_id",
        "invalid_id",
        "missing_text",
        "invalid_text",
        "empty_text",
        "document_too_large",
        "invalid_utf8",
        "invalid_text",
        "ok",
    ]
    assert [o.line for o in out] == list(range(1, 12))


def test_codec_round_trips_offsets_text_vector_and_truncation() -> None:
    """encode/decode keep every field exactly, including non-ASCII text and float32 values."""
    result = ChunkResult(3, 9, "é😀\x00x", np.array([0.1, -2.5, 3e-8], dtype=np.float32), True)
    back = decode(encode(result))
    assert (back.start, back.end, back.text, back.truncated) == (3, 9, "é😀\x00x", True)
    np.testing.assert_array_equal(back.vector, result.vector)


def test_pack_slice_batches_chunks_across_documents_in_order() -> None:
    """Chunks of several documents share batches of at most max_batch_size, in order."""
    docs = [SliceDocument(id=f"d{i}", text="abcdef"[: i + 2], content_hash="h") for i in range(4)]

    def cut(text: str) -> list[Span]:
        return [Span(i, i + 1) for i in range(len(text))]

    packed = pack_slice(
        job_id="j", inference_id="e", slice_no=5, documents=docs, cut=cut, max_batch_size=4
    )
    assert packed.expected == [("d0", 2), ("d1", 3), ("d2", 4), ("d3", 5)]
    assert [b.batch_id for b in packed.batches] == ["5-0", "5-1", "5-2", "5-3"]
    assert [len(b.items) for b in packed.batches] == [4, 4, 4, 2]
    flat = [(i.doc_id, i.chunk_index, i.text) for b in packed.batches for i in b.items]
    assert flat[:3] == [("d0", 0, "a"), ("d0", 1, "b"), ("d1", 0, "a")]


def test_pack_slice_fails_only_the_document_that_cannot_be_chunked() -> None:
    """A chunker error fails that document with its message; the others are batched."""
    docs = [SliceDocument(id=i, text=i, content_hash="h") for i in ("good", "bad")]

    def cut(text: str) -> list[Span]:
        if text == "bad":
            raise InputError("cannot segment")
        return [Span(0, len(text))]

    packed = pack_slice(
        job_id="j", inference_id="e", slice_no=0, documents=docs, cut=cut, max_batch_size=10
    )
    assert packed.failed == [("bad", "chunking_error", "cannot segment")]
    assert packed.expected == [("good", 1)]


def _chunks(n: int, width: int = 4, step: int = 3) -> tuple[str, list[ChunkResult]]:
    text = "".join(chr(0x61 + i % 26) for i in range(step * n + width))
    results = [
        ChunkResult(
            i * step,
            i * step + width,
            text[i * step : i * step + width],
            np.full(2, float(i), dtype=np.float32),
        )
        for i in range(n)
    ]
    return text, results


def test_merge_keeps_512_or_fewer_chunks_unchanged() -> None:
    """Documents with up to 512 chunks are written as chunked."""
    _, results = _chunks(MAX_CHUNKS)
    assert merge_chunks(results) == results


def test_merge_maps_more_than_512_chunks_onto_512_as_elasticsearch() -> None:
    """n > 512: chunk j goes to j*512//n; offsets span the group, vectors are averaged."""
    text, results = _chunks(1030)
    merged = merge_chunks(results)
    assert len(merged) == MAX_CHUNKS
    groups: dict[int, list[int]] = {}
    for j in range(1030):
        groups.setdefault(j * MAX_CHUNKS // 1030, []).append(j)
    for target, members in groups.items():
        m = merged[target]
        assert (m.start, m.end) == (results[members[0]].start, results[members[-1]].end)
        assert m.text == text[m.start : m.end]
        np.testing.assert_allclose(m.vector, np.mean([float(j) for j in members]))


def test_document_line_has_the_semantic_text_shape() -> None:
    """An output line holds id, inference_id and chunks with offsets and float32 embeddings."""
    vector = np.array([0.1, 0.25], dtype=np.float32)
    line = json.loads(document_line("d", "ep", [ChunkResult(0, 2, "hi", vector)]))
    assert line == {
        "id": "d",
        "inference_id": "ep",
        "chunks": [{"text": "hi", "start_offset": 0, "end_offset": 2, "embeddings": [0.1, 0.25]}],
    }
