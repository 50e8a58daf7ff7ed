"""Container health checks: ``python -m ops.healthcheck http URL`` or ``... worker NAME``.

``http URL``: healthy when a GET answers below 400 within 5 s (Flower's ``/healthcheck``, the
metrics endpoint's ``/-/healthy``, the mock provider's ``/_health``; none needs credentials).

``worker NAME``: healthy when the Celery worker node ``NAME`` (``%h`` is this host's name, as in
``inferq worker --name``) answers a broadcast ping within 5 s through the configured broker.

Exit status 0 healthy, 1 not. Nothing secret is printed: only the URL or node name checked.
"""

from __future__ import annotations

import argparse
import socket
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 5.0


def check_http(url: str) -> bool:
    """True when ``GET url`` answers with a status below 400."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 - ops-chosen URL
            return int(response.status) < 400
    except (urllib.error.URLError, OSError):
        return False


def check_worker(node: str) -> bool:
    """True when the worker node answers a ping (the broker from ``INFERQ_*`` settings)."""
    from pipeline.connections import resolve
    from pipeline.settings import WorkerSettings, load
    from workers.app import app, configure

    settings = load(WorkerSettings)
    configure(app, settings, resolve(settings, start_embedded=False))
    name = node.replace("%h", socket.gethostname())
    replies = app.control.ping(destination=[name], timeout=TIMEOUT_S)
    return any(name in reply for reply in replies)


def main(argv: list[str] | None = None) -> int:
    """Run one check; exit 0 when healthy."""
    parser = argparse.ArgumentParser(prog="python -m ops.healthcheck", description=__doc__)
    sub = parser.add_subparsers(dest="kind", required=True)
    sub.add_parser("http").add_argument("url")
    sub.add_parser("worker").add_argument("node", help="node name, e.g. chunk@%%h")
    args = parser.parse_args(argv)
    healthy = check_http(args.url) if args.kind == "http" else check_worker(args.node)
    target = args.url if args.kind == "http" else args.node
    print(f"{args.kind} {target}: {'healthy' if healthy else 'unhealthy'}", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
