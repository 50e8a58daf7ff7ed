"""The ``inferq`` command: one module per command group, each registering its sub-parser.

Exit statuses: 0 success, 1 some documents failed / the operation was refused, 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pipeline.errors import ConfigurationError, InferqError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (every command group registered)."""
    from pipeline.cli import endpoints, flower, ingest, jobs, metrics, worker

    parser = argparse.ArgumentParser(
        prog="inferq",
        description="Elasticsearch's inference API as an async Celery/Redis embedding pipeline.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log events on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (endpoints, ingest, jobs, worker, flower, metrics):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    try:
        code: int = args.handler(args)
    except ConfigurationError as exc:
        print(f"inferq: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InferqError as exc:
        print(f"inferq: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("inferq: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
