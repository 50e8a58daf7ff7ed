"""``inferq metrics``: the Prometheus endpoint (queue depth and age, 429s, limiter use)."""

from __future__ import annotations

import argparse
import sys

from pipeline.settings import OpsSettings, load


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``metrics`` command."""
    p = sub.add_parser("metrics", help="serve Prometheus metrics of the queues and the services")
    p.add_argument("--port", type=int, help="HTTP port (default INFERQ_METRICS_PORT, 9808)")
    p.add_argument("--host", help="bind address (default INFERQ_METRICS_HOST, 127.0.0.1)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; basic auth as Flower's (``INFERQ_FLOWER_BASIC_AUTH``)."""
    from pipeline.connections import resolve
    from pipeline.constants import CHUNK_QUEUE, embed_queue
    from pipeline.exporter import ops_credentials, serve
    from workers.app import embedding_services

    settings = load(OpsSettings)
    host = args.host or settings.metrics_host
    port = settings.metrics_port if args.port is None else args.port
    connections = resolve(settings)
    credentials = ops_credentials(settings, connections, host)
    queues = [CHUNK_QUEUE] + [embed_queue(s) for s in embedding_services()]

    def ready(bound: int) -> None:
        auth = "basic auth" if credentials else "no auth"
        print(
            f"inferq metrics: serving http://{host}:{bound}/metrics ({auth})",
            file=sys.stderr,
            flush=True,
        )

    serve(connections, queues, host, port, credentials, ready=ready)
    return 0
