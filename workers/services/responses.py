"""Reading provider answers: error-body messages, ``Retry-After``, vectors, and their count.

Parsers raise :class:`MalformedResponseError`, which is *transient*: Elasticsearch wraps every
response-parsing failure in a retryable exception (reference §f.2). A wrong number of vectors is
permanent (§d.5), as is an empty body on success.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from pipeline.errors import PermanentServiceError, TransientServiceError

# A path into a JSON error body: keys and list indexes, e.g. ("error", "message").
ErrorPath = tuple[str | int, ...]


class MalformedResponseError(TransientServiceError):
    """A 2xx answer whose body is not the service's embedding format (retried, as in ES)."""


def error_message(body: Any, paths: Sequence[ErrorPath]) -> str | None:
    """The provider's error message: the first path of ``paths`` that leads to a string.

    Args:
        body: the decoded JSON error body (anything).
        paths: candidate paths, most specific first (``("error", "message")``, ``("error",)``).

    Returns:
        The message, or ``None`` when no path matches (the ES message then has no suffix).
    """
    for path in paths:
        node: Any = body
        for step in path:
            node = _child(node, step)
        if isinstance(node, list) and node and isinstance(node[0], str):
            node = node[0]  # Hugging Face sometimes answers {"error": ["..."]}
        if isinstance(node, str) and node:
            return node
    return None


def _child(node: Any, step: str | int) -> Any:
    """``node[step]`` when ``node`` is a list (int step) or an object (str step), else ``None``."""
    if isinstance(step, int):
        return node[step] if isinstance(node, list) and len(node) > step else None
    return node.get(step) if isinstance(node, Mapping) else None


def retry_after_s(headers: Mapping[str, str], *, now_s: float | None = None) -> float | None:
    """Seconds the provider asked us to wait: ``retry-after-ms``, else ``Retry-After``.

    ``Retry-After`` may be delta-seconds (``"7"``, ``"1.5"``) or an HTTP-date; a date in the
    past gives 0. Unparsable values give ``None``.

    Args:
        headers: the response headers (case-insensitive mapping such as ``httpx.Headers``).
        now_s: the current Unix time (tests); defaults to ``time.time()``.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    now = time.time() if now_s is None else now_s
    return max(0.0, when.timestamp() - now)


def as_vector(value: Any) -> list[float]:
    """One embedding as floats.

    Raises:
        ValueError: ``value`` is not a non-empty list of numbers.
    """
    if not isinstance(value, list) or not value:
        raise ValueError("an embedding is not a non-empty array")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in value):
        raise ValueError("an embedding holds a non-number")
    return [float(x) for x in value]


def as_vectors(value: Any) -> list[list[float]]:
    """A list of embeddings (``[[...], [...]]``) as floats.

    Raises:
        ValueError: not a list of embeddings.
    """
    if not isinstance(value, list):
        raise ValueError("embeddings are not an array")
    return [as_vector(v) for v in value]


def field_vectors(items: Any, key: str) -> list[list[float]]:
    """``[item[key] for item in items]`` as floats, in array order (any ``index`` is ignored).

    Raises:
        ValueError: ``items`` is not a list of objects with ``key``.
    """
    if not isinstance(items, list):
        raise ValueError("data is not an array")
    vectors = []
    for item in items:
        if not isinstance(item, Mapping) or key not in item:
            raise ValueError(f"an item has no field [{key}]")
        vectors.append(as_vector(item[key]))
    return vectors


def check_count(
    vectors: list[list[float]], expected: int, *, service: str, inference_id: str
) -> list[list[float]]:
    """Return ``vectors`` when there is one per input, else fail with Elasticsearch's text.

    Raises:
        PermanentServiceError: the count differs (reference §d.5).
    """
    if len(vectors) != expected:
        raise PermanentServiceError(
            f"Error the number of embedding responses [{len(vectors)}] does not equal the "
            f"number of requests [{expected}]",
            service=service,
            inference_id=inference_id,
        )
    return vectors
