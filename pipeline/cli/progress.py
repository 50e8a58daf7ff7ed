"""Progress lines and the final summary of a job, on stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# One progress line at most this often (s).
PROGRESS_INTERVAL_S = 1.0
# How long ingest waits for workers to say which queues they consume (s).
INSPECT_TIMEOUT_S = 2.0


class Progress:
    """Writes progress to stderr (a rewritten line on a terminal, plain lines elsewhere)."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._last = 0.0
        self._tty = sys.stderr.isatty()

    def note(self, message: str) -> None:
        """A one-off line."""
        print(f"inferq: {message}", file=sys.stderr, flush=True)

    def update(self, stats: Mapping[str, Any], started: float) -> None:
        """A progress line, rate-limited to one per :data:`PROGRESS_INTERVAL_S`."""
        now = time.monotonic()
        if not self.enabled or now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = now
        line = format_progress(stats, now - started)
        if self._tty:
            print(f"\r{line}", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def summary(self, stats: Mapping[str, Any], started: float, out: Path, failures: Path) -> None:
        """The final summary."""
        if self._tty and self.enabled:
            print(file=sys.stderr)
        elapsed = time.monotonic() - started
        done = int(stats.get("docs_embedded", 0))
        resent = int(stats.get("docs_redriven", 0))
        redriven = f"; {resent} re-sent after a stall" if resent else ""
        print(
            f"inferq: job {stats.get('job_id', '')} finished in {elapsed:.1f} s\n"
            f"  documents: {done} embedded, {stats.get('docs_skipped', 0)} skipped, "
            f"{stats.get('docs_failed', 0)} failed ({stats.get('docs_submitted', 0)} read)"
            f"{redriven}\n"
            f"  chunks: {stats.get('chunks', 0)} in {stats.get('batches', 0)} batches; "
            f"requests {stats.get('requests', 0)}, 429s {stats.get('responses_429', 0)}, "
            f"retries {stats.get('retries', 0)}, splits {stats.get('splits', 0)}\n"
            f"  output: {out}\n  failures: {failures}",
            file=sys.stderr,
            flush=True,
        )

    def warn_if_unconsumed(self, app: Any, service: str) -> None:
        """Say so when no running worker consumes the queues this job needs."""
        from pipeline.constants import CHUNK_QUEUE, embed_queue

        needed = {CHUNK_QUEUE, embed_queue(service)}
        replies = app.control.inspect(timeout=INSPECT_TIMEOUT_S).active_queues() or {}
        consumed = {q["name"] for queues in replies.values() for q in queues}
        for queue in sorted(needed - consumed):
            # A worker busy in the solo pool cannot answer, so this is a warning, not an error.
            self.note(
                f"warning: no worker answered for queue [{queue}] within "
                f"{INSPECT_TIMEOUT_S:.0f} s; if none runs, start one with `inferq worker "
                f"--queues {queue}` (queued work waits for it)"
            )


def format_progress(stats: Mapping[str, Any], elapsed_s: float) -> str:
    """One progress line: documents, chunks, requests, 429s, retries, failures, rate."""
    done = int(stats.get("docs_embedded", 0))
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    return (
        f"[{elapsed_s:7.1f}s] docs {done} embedded, {stats.get('docs_skipped', 0)} skipped, "
        f"{stats.get('docs_failed', 0)} failed / {stats.get('docs_submitted', 0)} read | "
        f"chunks {stats.get('chunks', 0)} | requests {stats.get('requests', 0)} "
        f"429s {stats.get('responses_429', 0)} retries {stats.get('retries', 0)} | "
        f"{rate:.1f} docs/s"
    )
