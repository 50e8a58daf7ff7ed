"""The sink: finished documents from the done stream become output lines.

Embedded documents go to the output file in the shape of Elasticsearch's ``semantic_text`` chunks;
failed ones to the failures file beside it; skipped ones are counted. After each write the files are
flushed and fsynced, then the stream cursor and the file sizes are committed in Redis in one
transaction, so a writer that dies resumes by truncating the files to the committed sizes and
re-reading from the committed cursor: no line lost, none doubled.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import orjson

from pipeline.jobs.codec import ChunkResult, decode
from pipeline.jobs.store import DoneEntry, JobStore

# Elasticsearch keeps at most 512 chunks per input, merging neighbours (reference §d.2).
MAX_CHUNKS = 512


def merge_chunks(results: list[ChunkResult]) -> list[ChunkResult]:
    """Map ``n > 512`` chunks onto 512 targets as Elasticsearch does (reference §d.2).

    Chunk ``j`` goes to target ``j * 512 // n``; a target's offsets run from its first chunk's
    start to its last chunk's end, its vector is the mean of its chunks' vectors, and its text is
    rebuilt from the (overlapping, ordered) chunk texts.
    """
    n = len(results)
    if n <= MAX_CHUNKS:
        return results
    groups: list[list[ChunkResult]] = [[] for _ in range(MAX_CHUNKS)]
    for j, result in enumerate(results):
        groups[j * MAX_CHUNKS // n].append(result)
    merged = []
    for group in groups:
        text, end = group[0].text, group[0].end
        for part in group[1:]:
            if part.end > end:
                text += part.text[max(0, end - part.start) :]
                end = part.end
        vector = np.mean(np.stack([r.vector for r in group]), axis=0).astype(np.float32)
        truncated = any(r.truncated for r in group)
        merged.append(ChunkResult(group[0].start, end, text, vector, truncated))
    return merged


def document_line(doc_id: str, inference_id: str, results: list[ChunkResult]) -> bytes:
    """One output line (``semantic_text`` chunk shape, code-point offsets)."""
    chunks = []
    for r in merge_chunks(results):
        chunk: dict[str, object] = {
            "text": r.text,
            "start_offset": r.start,
            "end_offset": r.end,
            "embeddings": r.vector,
        }
        if r.truncated:
            chunk["truncated"] = True
        chunks.append(chunk)
    line = {"id": doc_id, "inference_id": inference_id, "chunks": chunks}
    return orjson.dumps(line, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"


def failure_line(entry: DoneEntry) -> bytes:
    """One failures-file line: ``{"id", "error": {"type", "reason"}}`` (+ ``line`` for input)."""
    line: dict[str, object] = {
        "id": entry.reported_id if entry.line else entry.doc_id,
        "error": {"type": entry.error_type, "reason": entry.reason},
    }
    if entry.line is not None:
        line["line"] = entry.line
    return orjson.dumps(line) + b"\n"


def failures_path_for(out: Path) -> Path:
    """The failures file beside an output file: ``out.jsonl`` -> ``out.failures.jsonl``."""
    return out.with_name(f"{out.stem}.failures{out.suffix or '.jsonl'}")


def _open_at(path: Path, size: int) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("r+b" if path.exists() else "w+b")
    handle.truncate(size)
    handle.seek(size)
    return handle


@dataclass
class Assembled:
    """Output of one read of the done stream.

    Attributes:
        cursor: the last entry read.
        documents: output lines of embedded documents.
        failures: failures-file lines.
        written: doc_id -> (content_hash, chunk_count) of the embedded documents.
        counts: docs_embedded / docs_failed / docs_skipped.
    """

    cursor: str
    documents: list[bytes]
    failures: list[bytes]
    written: dict[str, tuple[str, int]]
    counts: Counter[str]


def assemble(store: JobStore, inference_id: str, entries: list[DoneEntry]) -> Assembled:
    """Turn done-stream entries into output and failure lines."""
    out = Assembled(entries[-1].entry_id, [], [], {}, Counter())
    ids = [e.doc_id for e in entries]
    hashes = [None if v is None else v.decode() for v in store.client.hmget(store.docs_key, ids)]
    done = _results([e.doc_id for e in entries if e.state == "done"], store)
    for entry, content_hash in zip(entries, hashes, strict=True):
        if entry.state == "done":
            results = done[entry.doc_id]
            out.documents.append(document_line(entry.doc_id, inference_id, results))
            out.written[entry.doc_id] = (content_hash or "", len(results))
            out.counts["docs_embedded"] += 1
        elif entry.state == "failed":
            out.failures.append(failure_line(entry))
            out.counts["docs_failed"] += 1
        else:
            out.counts["docs_skipped"] += 1
    return out


def _results(doc_ids: list[str], store: JobStore) -> dict[str, list[ChunkResult]]:
    """The chunk results of finished documents, in two round trips for the whole batch."""
    counts = store.expected(doc_ids)
    values = iter(store.chunk_values(doc_ids, counts))
    results: dict[str, list[ChunkResult]] = {}
    for doc_id, count in zip(doc_ids, counts, strict=True):
        raw = [next(values) for _ in range(count)]
        missing = [i for i, v in enumerate(raw) if v is None]
        if missing:  # cannot happen: completion is only signalled once every chunk is stored
            raise RuntimeError(f"document {doc_id!r} finished without chunks {missing[:5]}")
        results[doc_id] = [decode(v) for v in raw if v is not None]
    return results


@dataclass
class JsonlSink:
    """Writes a job's finished documents to ``out`` and its failures file.

    Only one sink may consume a job at a time (it owns the job's stream cursor).

    Attributes:
        store: the job.
        inference_id: the endpoint (written into each line).
        out: the output file.
        failures: the failures file.
        counts: documents written this run, by state.
    """

    store: JobStore
    inference_id: str
    out: Path
    failures: Path
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        meta = self.store.meta()
        self.cursor = meta.get("sink_cursor", "0")
        self._out = _open_at(self.out, int(meta.get("out_bytes", 0)))
        self._failures = _open_at(self.failures, int(meta.get("failures_bytes", 0)))

    def drain(self, block_ms: int | None = None, count: int = 256) -> int:
        """Write what has finished; returns the number of documents handled."""
        entries = self.store.read_done(self.cursor, count, block_ms)
        if not entries:
            return 0
        batch = assemble(self.store, self.inference_id, entries)
        self._out.writelines(batch.documents)
        self._failures.writelines(batch.failures)
        for handle in (self._out, self._failures):
            handle.flush()
            os.fsync(handle.fileno())
        self.cursor = batch.cursor
        self.store.commit(
            cursor=self.cursor,
            out_bytes=self._out.tell(),
            failures_bytes=self._failures.tell(),
            written=batch.written,
            inference_id=self.inference_id,
            counts=batch.counts,
        )
        self.counts.update(batch.counts)
        return len(entries)

    def caught_up(self) -> bool:
        """True when every entry ever added to the done stream has been written."""
        last = self.store.last_done_id()
        return last == "0-0" or self.cursor == last

    def close(self) -> None:
        """Close the files."""
        self._out.close()
        self._failures.close()
