"""A job's state in Redis: metadata, counters, idempotent chunk results and the done stream.

Every write that a redelivered task may repeat is idempotent: chunk results are keyed by
``(doc_id, chunk_index)`` and only the first write counts; a document's final state is set once
(see :mod:`pipeline.jobs.scripts`). The sink commits what it wrote in one transaction together
with its stream cursor and file sizes, so a crashed writer resumes without loss or duplicates.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from pipeline import constants as c
from pipeline.errors import JobError
from pipeline.jobs.scripts import FINISH_DOCS, RECORD_RESULTS, SET_EXPECTED

# Fields of the job hash that are counters (shown by ``inferq jobs show``).
COUNTERS = (
    "docs_submitted",
    "docs_embedded",
    "docs_skipped",
    "docs_failed",
    "docs_redriven",
    "chunks",
    "batches",
    "requests",
    "responses_429",
    "retries",
    "splits",
    "truncated",
    "request_failures",
    "token_wait_ms",
)


@dataclass(frozen=True)
class DoneEntry:
    """One entry of the done stream: a document reached its final state.

    Attributes:
        entry_id: the stream entry id (the sink's cursor).
        doc_id: the document (or ``line:<n>`` for an input line without a usable id).
        state: ``done``, ``failed`` or ``skipped``.
        error_type: for failures, a stable snake_case type.
        reason: for failures and skips, a human-readable reason.
        reported_id: the id to report when it differs from ``doc_id`` (input lines).
        line: the input line number, for input errors.
    """

    entry_id: str
    doc_id: str
    state: str
    error_type: str = ""
    reason: str = ""
    reported_id: str | None = None
    line: int | None = None


def chunk_field(doc_id: str, index: int) -> str:
    """The chunks-hash field of a document's chunk (the separator is no valid id character)."""
    return f"{doc_id}\x1f{index}"


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class JobStore:
    """One job's keys. Cheap to build; holds no state but the client and the keys."""

    def __init__(self, client: redis.Redis[bytes], job_id: str) -> None:
        self.client = client
        self.job_id = job_id
        parts = {"job_id": job_id}
        self.job_key = c.key(c.JOB_KEY, **parts)
        self.expected_key = c.key(c.JOB_EXPECTED_KEY, **parts)
        self.chunks_key = c.key(c.JOB_CHUNKS_KEY, **parts)
        self.received_key = c.key(c.JOB_RECEIVED_KEY, **parts)
        self.state_key = c.key(c.JOB_STATE_KEY, **parts)
        self.done_key = c.key(c.JOB_DONE_STREAM, **parts)
        self.docs_key = c.key(c.JOB_DOCS_KEY, **parts)
        self.written_key = c.key(c.JOB_WRITTEN_KEY, **parts)
        self._record = client.register_script(RECORD_RESULTS)
        self._finish = client.register_script(FINISH_DOCS)
        self._expected = client.register_script(SET_EXPECTED)

    # --- lifecycle -------------------------------------------------------------------------
    def create(self, inference_id: str, meta: Mapping[str, str]) -> None:
        """Create the job (idempotent: an existing job keeps its counters)."""
        now = time.time()
        pipe = self.client.pipeline()
        pipe.hsetnx(self.job_key, "inference_id", inference_id)
        pipe.hsetnx(self.job_key, "created_at", f"{now:.3f}")
        for name, value in meta.items():
            pipe.hset(self.job_key, name, value)
        pipe.zadd(c.JOBS_INDEX_KEY, {self.job_id: now}, nx=True)
        pipe.execute()
        self.touch()

    def exists(self) -> bool:
        """True when the job was created."""
        return bool(self.client.exists(self.job_key))

    def meta(self) -> dict[str, str]:
        """The job hash (metadata and counters) as strings."""
        raw: Mapping[Any, Any] = self.client.hgetall(self.job_key)
        if not raw:
            raise JobError(f"no job [{self.job_id}]")
        return {_s(k): _s(v) for k, v in raw.items()}

    def set(self, **fields: str) -> None:
        """Set metadata fields."""
        mapping: dict[str | bytes, str] = {name: value for name, value in fields.items()}
        self.client.hset(self.job_key, mapping=mapping)

    def incr(self, **counters: int) -> None:
        """Add to counters (one round trip)."""
        pipe = self.client.pipeline(transaction=False)
        for name, amount in counters.items():
            if amount:
                pipe.hincrby(self.job_key, name, amount)
        pipe.execute()

    @property
    def keys(self) -> tuple[str, ...]:
        """Every fixed key of the job (the per-run id sets come and go)."""
        return (
            self.job_key,
            self.expected_key,
            self.chunks_key,
            self.received_key,
            self.state_key,
            self.done_key,
            self.docs_key,
            self.written_key,
        )

    def touch(self) -> None:
        """Push back the expiry of every key of the job."""
        pipe = self.client.pipeline(transaction=False)
        for name in self.keys:
            pipe.expire(name, c.JOB_TTL_S)
        pipe.execute()

    def is_cancelled(self) -> bool:
        """True once the job was cancelled."""
        return self.client.hget(self.job_key, "cancelled") == b"1"

    # --- producer side -----------------------------------------------------------------------
    def register_docs(self, run: int, docs: Sequence[tuple[str, str]]) -> list[bool]:
        """Record ``(doc_id, content_hash)`` pairs; returns, per doc, False for a duplicate id."""
        run_key = c.key(c.JOB_RUN_IDS_KEY, job_id=self.job_id, run=str(run))
        pipe = self.client.pipeline(transaction=False)
        for doc_id, _ in docs:
            pipe.sadd(run_key, doc_id)
        fresh = [bool(n) for n in pipe.execute()]
        pipe = self.client.pipeline(transaction=False)
        for (doc_id, content_hash), is_fresh in zip(docs, fresh, strict=True):
            if is_fresh:
                pipe.hset(self.docs_key, doc_id, content_hash)
        pipe.expire(run_key, c.JOB_TTL_S)
        pipe.execute()
        return fresh

    def states(self, doc_ids: Sequence[str]) -> list[str | None]:
        """Final state (``done``/``failed``/``skipped``) of each document, None when open."""
        if not doc_ids:
            return []
        return [None if v is None else _s(v) for v in self.client.hmget(self.state_key, doc_ids)]

    def written_hashes(self, doc_ids: Sequence[str]) -> list[str | None]:
        """Content hash each document was written with by this job, None when not written."""
        if not doc_ids:
            return []
        return [None if v is None else _s(v) for v in self.client.hmget(self.written_key, doc_ids)]

    def reopen_failed(self) -> int:
        """Forget failed documents and their partial results so a resumed run retries them."""
        raw: Mapping[Any, Any] = self.client.hgetall(self.state_key)
        reopened = [_s(k) for k, v in raw.items() if v == b"failed"]
        if reopened:
            # Partial results of a failed document must go too, or their chunk ids would not
            # count again when the retry writes them.
            counts = self.expected(reopened)
            fields = [
                chunk_field(d, i) for d, n in zip(reopened, counts, strict=True) for i in range(n)
            ]
            pipe = self.client.pipeline()
            pipe.hdel(self.state_key, *reopened)
            pipe.hdel(self.received_key, *reopened)
            if fields:
                pipe.hdel(self.chunks_key, *fields)
            pipe.execute()
            # Every failed document is retried, so the failures file starts over (the sink
            # truncates it to this size): a document ends in exactly one of the two files.
            self.client.hset(self.job_key, mapping={"docs_failed": 0, "failures_bytes": 0})
        return len(reopened)

    # --- worker side -------------------------------------------------------------------------
    def set_expected(self, counts: Iterable[tuple[str, int]]) -> int:
        """Record how many chunks each document has (before its batches are sent)."""
        argv: list[str | int] = []
        for doc_id, n in counts:
            argv += [doc_id, n]
        if not argv:
            return 0
        keys = [self.expected_key, self.received_key, self.state_key, self.done_key]
        return int(self._expected(keys=keys, args=argv))

    def expected(self, doc_ids: Sequence[str]) -> list[int]:
        """Expected chunk counts (0 when unknown)."""
        if not doc_ids:
            return []
        return [int(v or 0) for v in self.client.hmget(self.expected_key, doc_ids)]

    def record_results(self, results: Sequence[tuple[str, int, bytes]]) -> int:
        """Store ``(doc_id, chunk_index, encoded)`` results; returns documents completed."""
        if not results:
            return 0
        argv: list[str | int | bytes] = [len(results)]
        for doc_id, index, value in results:
            argv += [doc_id, index, value]
        keys = [
            self.chunks_key,
            self.received_key,
            self.expected_key,
            self.state_key,
            self.done_key,
        ]
        return int(self._record(keys=keys, args=argv))

    def finish_docs(
        self,
        doc_ids: Iterable[str],
        state: str,
        error_type: str = "",
        reason: str = "",
    ) -> int:
        """Put open documents in a final state (``failed`` or ``skipped``); returns how many."""
        triples: list[str] = []
        for doc_id in dict.fromkeys(doc_ids):
            triples += [doc_id, doc_id, ""]
        return self._finish_many(state, error_type, reason, triples)

    def report_bad_line(self, line: int, doc_id: str | None, error_type: str, reason: str) -> int:
        """Fail one input line (keyed by its line number, since its id may be missing or taken)."""
        return self._finish_many(
            "failed", error_type, reason, [f"line:{line}", doc_id or "", str(line)]
        )

    def _finish_many(self, state: str, error_type: str, reason: str, triples: list[str]) -> int:
        if not triples:
            return 0
        return int(
            self._finish(
                keys=[self.state_key, self.done_key], args=[state, error_type, reason, *triples]
            )
        )

    def final_count(self) -> int:
        """How many documents and input lines have reached a final state."""
        return int(self.client.hlen(self.state_key))

    def last_done_id(self) -> str:
        """The id of the newest done-stream entry ever added (``0-0`` when none)."""
        try:
            info: Mapping[Any, Any] = self.client.xinfo_stream(self.done_key)
        except redis.ResponseError:  # no such stream yet
            return "0-0"
        return _s(info["last-generated-id"])

    # --- sink side -----------------------------------------------------------------------------
    def read_done(self, cursor: str, count: int, block_ms: int | None) -> list[DoneEntry]:
        """Entries after ``cursor`` (``0`` for the start), waiting up to ``block_ms``."""
        answer = self.client.xread({self.done_key: cursor}, count=count, block=block_ms)
        entries: list[DoneEntry] = []
        for _stream, items in answer or []:
            for entry_id, fields in items:
                f = {_s(k): _s(v) for k, v in fields.items()}
                line = f.get("line", "")
                entries.append(
                    DoneEntry(
                        _s(entry_id),
                        f["doc"],
                        f["state"],
                        f.get("type", ""),
                        f.get("reason", ""),
                        f.get("id") or None,
                        int(line) if line else None,
                    )
                )
        return entries

    def chunk_values(self, doc_ids: Sequence[str], counts: Sequence[int]) -> list[bytes | None]:
        """Stored results of chunks 0..count-1 of each document, flattened, in one round trip."""
        fields = [chunk_field(d, i) for d, n in zip(doc_ids, counts, strict=True) for i in range(n)]
        return list(self.client.hmget(self.chunks_key, fields)) if fields else []

    def commit(
        self,
        *,
        cursor: str,
        out_bytes: int,
        failures_bytes: int,
        written: Mapping[str, tuple[str, int]],
        inference_id: str,
        counts: Mapping[str, int],
    ) -> None:
        """Record what the sink has durably written, in one transaction.

        Args:
            cursor: the last stream entry written.
            out_bytes: size of the output file after the write (resume truncates to it).
            failures_bytes: size of the failures file after the write.
            written: doc_id -> (content_hash, chunk_count) of documents written to the output.
            inference_id: the endpoint (its content-hash index learns the written documents).
            counts: counters to add (docs_embedded, docs_failed, docs_skipped).
        """
        hashes_key = c.key(c.CONTENT_HASHES_KEY, inference_id=inference_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(
            self.job_key,
            mapping={
                "sink_cursor": cursor,
                "out_bytes": out_bytes,
                "failures_bytes": failures_bytes,
            },
        )
        for name, amount in counts.items():
            if amount:
                pipe.hincrby(self.job_key, name, amount)
        if written:
            pipe.hset(self.written_key, mapping={d: h for d, (h, _) in written.items()})
            pipe.hset(hashes_key, mapping={d: h for d, (h, _) in written.items()})
            fields = [chunk_field(d, i) for d, (_, n) in written.items() for i in range(n)]
            pipe.hdel(self.chunks_key, *fields)
        pipe.xtrim(self.done_key, minid=cursor)
        pipe.execute()

    def delete(self) -> None:
        """Remove every key of the job."""
        names = [*self.keys, *(_s(k) for k in self.client.scan_iter(f"{self.job_key}:run:*"))]
        self.client.delete(*names)
        self.client.zrem(c.JOBS_INDEX_KEY, self.job_id)
