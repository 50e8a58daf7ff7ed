"""``inferq ingest``: embed a JSONL corpus end to end, with progress, summary and resume."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path
from typing import BinaryIO

from pipeline.cli import EXIT_FAILED, EXIT_OK
from pipeline.cli.progress import Progress
from pipeline.connections import redis_client, resolve
from pipeline.endpoints import LOCAL_ENDPOINT_ID, EndpointRegistry, SecretCipher
from pipeline.jobs import handle as job_handle
from pipeline.jobs.producer import Submission, SubmitOptions, start_job
from pipeline.jobs.reader import read_documents
from pipeline.jobs.sink import failures_path_for
from pipeline.settings import ProducerSettings, load


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``ingest`` command."""
    p = sub.add_parser("ingest", help="embed a JSONL file (or stdin) into a JSONL output")
    p.add_argument("input", help='JSONL input, one {"id": ..., "text": ...} per line; - for stdin')
    p.add_argument(
        "--endpoint",
        default=LOCAL_ENDPOINT_ID,
        help=f"inference id (default: the built-in {LOCAL_ENDPOINT_ID})",
    )
    p.add_argument("--out", required=True, type=Path, help="output JSONL (one line per document)")
    p.add_argument("--failures", type=Path, help="failures file (default: OUT.failures.jsonl)")
    p.add_argument("--id-field", default="id", help="input field holding the id (default id)")
    p.add_argument("--text-field", default="text", help="input field holding the text")
    p.add_argument("--job", help="resume this job id: only what is missing is embedded")
    p.add_argument(
        "--no-skip-unchanged",
        action="store_true",
        help="embed documents even if their text was embedded before",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    p.set_defaults(handler=run)


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    yield from stream


def run(args: argparse.Namespace) -> int:
    """Run the job; exit 1 when any document failed."""
    settings = load(ProducerSettings)
    connections = resolve(settings)
    client = redis_client(connections.redis_url)
    registry = EndpointRegistry(client, SecretCipher.from_settings(settings))
    endpoint = registry.get(args.endpoint)  # unknown endpoint: clear error before any work

    from pipeline import local_workers
    from workers.app import app, configure

    configure(app, settings, connections)
    progress = Progress(enabled=not args.quiet)
    options = SubmitOptions(
        slice_docs=settings.slice_docs,
        max_inflight_docs=settings.max_inflight_slices * settings.slice_docs,
        skip_unchanged=not args.no_skip_unchanged,
        poll_interval_s=settings.poll_interval_s,
        redrive_after_s=settings.redrive_after_s,
    )
    with ExitStack() as stack:
        if connections.is_embedded:
            argvs = local_workers.plan(endpoint.service, settings.local_workers)
            stack.enter_context(local_workers.running(argvs, settings.data_dir / "logs"))
            progress.note(
                f"embedded Redis at {connections.redis_url}; started {len(argvs)} "
                f"local workers (logs in {settings.data_dir / 'logs'})"
            )
        else:
            progress.warn_if_unconsumed(app, endpoint.service)
        stream = (
            sys.stdin.buffer
            if args.input == "-"
            else stack.enter_context(Path(args.input).open("rb"))
        )
        documents = read_documents(
            _lines(stream),
            id_field=args.id_field,
            text_field=args.text_field,
            max_chars=settings.max_document_chars,
        )
        started = time.monotonic()
        out = args.out
        failures = args.failures or failures_path_for(out)
        store, resume = start_job(client, endpoint.inference_id, job_id=args.job)
        progress.note(
            f"job {store.job_id} ({'resumed' if resume else 'new'}) on "
            f"{endpoint.inference_id} [{endpoint.service}]"
        )

        def on_wait() -> None:
            sink.drain(block_ms=50)
            progress.update(handle.stats(), started)

        # The run first (a resume reopens failed documents), then the sink that writes it.
        submission = Submission(store, endpoint.inference_id, app, options, resume=resume)
        handle = job_handle.JobHandle(store, submission)
        sink = stack.enter_context(closing(job_handle.write_jsonl(handle, out, failures)))
        submission.submit(documents, on_wait)
        while not (handle.is_finished() and sink.caught_up()):
            if redriven := submission.redrive_stalled():
                progress.note(
                    f"no progress for {settings.redrive_after_s:g} s: re-sent {redriven} "
                    "unfinished documents (lost task messages; see docs/reliability.md)"
                )
            if not sink.drain(block_ms=200):
                progress.update(handle.stats(), started)
        sink.drain()
        store.set(finished="1")
        stats = handle.stats()
        progress.summary(stats, started, out, failures)
    return EXIT_FAILED if int(stats["docs_failed"]) else EXIT_OK
