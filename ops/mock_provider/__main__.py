"""``python -m ops.mock_provider``: run the mock provider until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys

from ops.mock_provider import make_realtime
from ops.mock_provider.server import MockProvider, serve
from ops.mock_provider.state import MockConfig


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (every :class:`MockConfig` field plus ``--host``/``--port``)."""
    d = MockConfig()
    p = argparse.ArgumentParser(prog="python -m ops.mock_provider", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8088, help="port (default 8088; 0 = any free)")
    p.add_argument("--rpm", type=float, default=d.rpm, help="strict pacing limit; 0 = none")
    p.add_argument("--latency-ms", type=float, default=d.latency_ms, help="added per answer")
    p.add_argument("--fail-429", type=float, default=d.fail_429, help="share of injected 429s")
    p.add_argument("--retry-after", dest="retry_after_s", type=float, default=d.retry_after_s,
                   help="Retry-After seconds of injected 429s (0 = no header)")  # fmt: skip
    p.add_argument("--fail-5xx", type=float, default=d.fail_5xx, help="share of injected 5xx")
    p.add_argument("--status-5xx", type=int, default=d.status_5xx, help="their status (500)")
    p.add_argument("--fail-timeout", type=float, default=d.fail_timeout, help="share that hang")
    p.add_argument("--hang-s", type=float, default=d.hang_s, help="how long they hang (60)")
    p.add_argument("--fail-413", type=float, default=d.fail_413, help="share of injected 413s")
    p.add_argument("--max-input-chars", type=int, default=d.max_input_chars,
                   help="413 for longer texts; 0 = no limit")  # fmt: skip
    p.add_argument("--dims", type=int, default=d.dims, help="vector length (384)")
    p.add_argument("--seed", type=int, default=d.seed, help="vector namespace and fault RNG seed")
    p.add_argument("--realtime", action="store_true",
                   help="SCHED_FIFO: load on this host does not delay arrival stamps")  # fmt: skip
    return p.parse_args(argv)


async def _main(args: argparse.Namespace) -> None:
    fields = {k: v for k, v in vars(args).items() if k not in ("host", "port", "realtime")}
    provider = MockProvider(MockConfig(**fields))
    server = await serve(provider, args.host, args.port)
    host, port = server.sockets[0].getsockname()[:2]
    # One machine-readable line so scripts can find the port when --port 0 was given.
    print(
        json.dumps({"event": "mock_provider.listening", "url": f"http://{host}:{port}"}), flush=True
    )
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    args = parse_args(argv)
    if args.realtime:
        make_realtime()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
