"""``inferq endpoints put|get|delete``: the ``_inference`` endpoint API on the command line.

Output is Elasticsearch's JSON on stdout. A refused request (bad body, unknown id, existing id,
reserved id) prints Elasticsearch's error JSON (``{"error": {"type", "reason"}, "status"}``) on
stderr and exits 1. Secrets are never printed: responses are built by ``Endpoint.to_es``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipeline.connections import redis_client, resolve
from pipeline.endpoints import EndpointRegistry, SecretCipher
from pipeline.errors import (
    ConfigurationError,
    EndpointExistsError,
    EndpointNotFoundError,
    ValidationError,
)
from pipeline.settings import ProducerSettings, load

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``endpoints`` command group to the ``inferq`` parser."""
    parser = subparsers.add_parser(
        "endpoints", help="create, show and delete inference endpoints (Elasticsearch's format)"
    )
    commands = parser.add_subparsers(dest="endpoints_command", required=True, metavar="ACTION")

    put = commands.add_parser("put", help="create an endpoint (PUT _inference/TASK_TYPE/ID)")
    put.add_argument("task_type", metavar="TASK_TYPE", help="text_embedding, rerank, ...")
    put.add_argument("inference_id", metavar="INFERENCE_ID")
    put.add_argument("--body", required=True, metavar="FILE", help="the JSON body; '-' reads stdin")
    put.set_defaults(handler=_put)

    get = commands.add_parser("get", help='show endpoints as {"endpoints": [...]}')
    get.add_argument("inference_id", nargs="?", metavar="ID", help="one endpoint (default: all)")
    get.add_argument("--task-type", metavar="T", help="only endpoints of this task type")
    get.set_defaults(handler=_get)

    delete = commands.add_parser("delete", help="delete an endpoint and its secrets")
    delete.add_argument("inference_id", metavar="ID")
    delete.add_argument("--task-type", metavar="T", help="refuse unless the endpoint has this type")
    delete.set_defaults(handler=_delete)


def _registry() -> EndpointRegistry:
    settings = load(ProducerSettings)
    connections = resolve(settings)
    return EndpointRegistry(
        redis_client(connections.redis_url), SecretCipher.from_settings(settings)
    )


def _print(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2))


def _refused(document: dict[str, Any]) -> int:
    print(json.dumps(document, indent=2), file=sys.stderr)
    return EXIT_REFUSED


def _es_error(exc: ConfigurationError) -> dict[str, Any]:
    """Elasticsearch's error body for our refusals."""
    if isinstance(exc, ValidationError):
        return exc.to_es()
    if isinstance(exc, EndpointNotFoundError):
        kind, status = "resource_not_found_exception", 404
    elif isinstance(exc, EndpointExistsError):
        kind, status = "resource_already_exists_exception", 400
    else:
        raise exc
    return {"error": {"type": kind, "reason": str(exc)}, "status": status}


def _read_body(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read --body {source}: {exc.strerror}") from None
    if not text.strip():
        raise ValidationError("request body is required", es_type="parse_exception")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        # The decoder's message names a position, never the text around it.
        raise ValidationError(
            f"Failed to parse request body: {exc.msg} (line {exc.lineno} column {exc.colno})",
            es_type="parse_exception",
        ) from None
    if not isinstance(body, dict):
        raise ValidationError("request body must be a JSON object", es_type="parse_exception")
    return body


def _put(args: argparse.Namespace) -> int:
    try:
        body = _read_body(args.body)
        endpoint = _registry().put(args.task_type, args.inference_id, body)
    except (ValidationError, EndpointExistsError) as exc:
        return _refused(_es_error(exc))
    _print(endpoint.to_es())
    return EXIT_OK


def _get(args: argparse.Namespace) -> int:
    registry = _registry()
    try:
        if args.inference_id is None:
            endpoints = registry.list(args.task_type)
        else:
            endpoints = [registry.get(args.inference_id, args.task_type)]
    except (ValidationError, EndpointNotFoundError) as exc:
        return _refused(_es_error(exc))
    _print({"endpoints": [e.to_es() for e in endpoints]})
    return EXIT_OK


def _delete(args: argparse.Namespace) -> int:
    try:
        _registry().delete(args.inference_id, args.task_type)
    except (ValidationError, EndpointNotFoundError) as exc:
        return _refused(_es_error(exc))
    _print({"acknowledged": True, "pipelines": [], "indexes": []})
    return EXIT_OK
