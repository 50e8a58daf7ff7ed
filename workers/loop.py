"""One asyncio event loop per worker process, in a thread of its own.

Celery runs tasks synchronously (each pool thread, or the prefork child, runs one at a time). A
task hands its provider call to this loop and waits, so one process has as many requests in flight
as it has pool threads, all sharing one ``httpx.AsyncClient`` and its connection pool. The loop is
created lazily in the process that uses it (after fork, for prefork), never with ``asyncio.run``
per task, which would close the loop under the shared client ("Event loop is closed").
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An event loop running forever in a daemon thread."""

    def __init__(self, name: str = "inferq-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for its result (from any other thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def stop(self) -> None:
        """Stop the loop and join its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
