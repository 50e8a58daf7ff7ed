"""``inferq jobs``: list, show and cancel jobs."""

from __future__ import annotations

import argparse
import json

from pipeline.cli import EXIT_OK
from pipeline.connections import redis_client, resolve
from pipeline.constants import JOBS_INDEX_KEY
from pipeline.jobs.handle import JobHandle
from pipeline.jobs.store import JobStore
from pipeline.settings import ProducerSettings, load


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``jobs`` command group."""
    p = sub.add_parser("jobs", help="list, show or cancel jobs")
    jobs_sub = p.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    show = jobs_sub.add_parser("show", help="a job's stats as JSON")
    show.add_argument("job_id")
    show.set_defaults(handler=run_show)
    lst = jobs_sub.add_parser("list", help="job ids, newest first")
    lst.add_argument("--limit", type=int, default=20)
    lst.set_defaults(handler=run_list)
    cancel = jobs_sub.add_parser("cancel", help="cancel a job (queued work is dropped)")
    cancel.add_argument("job_id")
    cancel.set_defaults(handler=run_cancel)


def _store(job_id: str) -> JobStore:
    settings = load(ProducerSettings)
    store = JobStore(redis_client(resolve(settings).redis_url), job_id)
    store.meta()  # raises JobError for an unknown id
    return store


def run_show(args: argparse.Namespace) -> int:
    """Print a job's stats."""
    stats = JobHandle(_store(args.job_id)).stats()
    print(json.dumps({"job_id": args.job_id, **stats}, indent=2, sort_keys=True))
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    """Print recent job ids."""
    settings = load(ProducerSettings)
    client = redis_client(resolve(settings).redis_url)
    for job_id in client.zrevrange(JOBS_INDEX_KEY, 0, args.limit - 1):
        print(job_id.decode())
    return EXIT_OK


def run_cancel(args: argparse.Namespace) -> int:
    """Cancel a job."""
    JobHandle(_store(args.job_id)).cancel()
    print(json.dumps({"job_id": args.job_id, "cancelled": True}))
    return EXIT_OK
