"""``inferq worker``: a Celery worker for chosen queues or services."""

from __future__ import annotations

import argparse
import os

from pipeline.connections import resolve
from pipeline.constants import CHUNK_QUEUE, embed_queue
from pipeline.settings import WorkerSettings, load


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``worker`` command."""
    p = sub.add_parser("worker", help="run a worker for the chunk queue and/or embedding services")
    p.add_argument("--services", help="comma-separated services to embed for (embed.<service>)")
    p.add_argument("--queues", help="comma-separated queue names (overrides --services/--chunk)")
    p.add_argument("--chunk", action="store_true", help="also consume the chunk queue")
    p.add_argument(
        "--pool",
        default="threads",
        choices=["threads", "prefork", "solo"],
        help="threads (default): many provider calls in flight on one event loop",
    )
    p.add_argument("--concurrency", type=int, default=16, help="pool size (default 16)")
    p.add_argument(
        "--name",
        default=None,
        help="worker node name (default inferq-<pid>@%%h: unique, so several workers can share "
        "a host; RabbitMQ refuses two with one name)",
    )
    p.set_defaults(handler=run)


def queues_for(args: argparse.Namespace) -> list[str]:
    """The queues a worker consumes: explicit, else chunk + the chosen (or all) services."""
    if args.queues:
        return [q.strip() for q in args.queues.split(",") if q.strip()]
    from workers.app import embedding_services

    services = [s.strip() for s in args.services.split(",")] if args.services else None
    if services is None:
        return [CHUNK_QUEUE] + [embed_queue(s) for s in embedding_services()]
    from workers.services import get_adapter

    for service in services:
        get_adapter(service)  # an unknown name fails here, not silently later
    return ([CHUNK_QUEUE] if args.chunk else []) + [embed_queue(s) for s in services]


def run(args: argparse.Namespace) -> int:
    """Configure the app from the environment and run the worker until stopped."""
    from workers import runtime
    from workers.app import app, configure

    settings = load(WorkerSettings)
    connections = resolve(settings)
    runtime.install(settings, connections)
    configure(app, settings, connections)
    argv = [
        "worker",
        "-Q",
        ",".join(queues_for(args)),
        "-P",
        args.pool,
        "-c",
        str(args.concurrency),
        "--loglevel",
        settings.log_level,
        "-E",
    ]
    argv += ["-n", args.name or f"inferq-{os.getpid()}@%h"]
    app.worker_main(argv)
    return 0
