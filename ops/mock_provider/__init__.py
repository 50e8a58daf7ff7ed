"""The mock embedding provider: every adapter's wire format on one HTTP server.

Start it with ``python -m ops.mock_provider --port 8088 --rpm 1200`` (``--help`` lists the
flags), or in-process with :func:`running`. Point adapters at it with
``get_adapter(service, base_url=url)``: the adapters keep their paths, and each path is served in
that provider's format (see :mod:`ops.mock_provider.formats`). Vectors are
:func:`~ops.mock_provider.vectors.vector_for` of each input text, so a test can tell which text a
vector was computed from. Control: ``GET /_stats``, ``POST /_reset``, ``POST /_config`` (JSON of
:class:`MockConfig` fields), ``GET /_health``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ops.mock_provider.server import MockProvider, serve
from ops.mock_provider.state import MockConfig
from ops.mock_provider.vectors import vector_for

__all__ = ["MockConfig", "MockProvider", "make_realtime", "running", "serve", "vector_for"]


def make_realtime() -> None:
    """Give the calling thread real-time scheduling (``SCHED_FIFO``), or raise ``OSError``.

    A real provider stamps arrivals on its own machine. On a shared 2-core test host the
    workers under test can delay the mock's wake-up by milliseconds, and a strictly pacing mock
    then sees a late arrival followed by a punctual one as a short gap and refuses the second:
    its own lateness, blamed on the limiter. Real-time scheduling (root or ``CAP_SYS_NICE``)
    lets the mock stamp arrivals as they come. The server is idle between requests, so it
    takes no CPU from the workers.
    """
    os.sched_setscheduler(threading.get_native_id(), os.SCHED_FIFO, os.sched_param(10))


@contextlib.contextmanager
def running(
    config: MockConfig | None = None, *, realtime: bool = False, **changes: Any
) -> Iterator[str]:
    """Run a mock provider on ``127.0.0.1`` (a free port) in a background thread.

    Args:
        config: the starting configuration (default :class:`MockConfig`).
        realtime: run the server thread under ``SCHED_FIFO`` (see :func:`make_realtime`).
        **changes: :class:`MockConfig` fields to override, e.g. ``rpm=600, fail_429=0.1``.

    Yields:
        The base URL, ``http://127.0.0.1:<port>``.
    """
    provider = MockProvider(replace(config or MockConfig(), **changes))
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def run() -> None:
        try:
            if realtime:
                make_realtime()
        except OSError as exc:
            holder["error"] = exc
            ready.set()
            return
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(serve(provider, "127.0.0.1", 0))
        holder["port"] = server.sockets[0].getsockname()[1]
        holder["server"] = server
        ready.set()
        loop.run_forever()
        server.close()
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(server.wait_closed())
        loop.close()

    thread = threading.Thread(target=run, name="mock-provider", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the mock provider did not start within 10 s")
    if "error" in holder:
        raise holder["error"]
    try:
        yield f"http://127.0.0.1:{holder['port']}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
