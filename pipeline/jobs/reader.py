"""Streaming JSONL input: one document per line, bad lines reported with their line numbers.

The reader never holds more than one line; a malformed line, a missing or non-string text, empty
text, invalid UTF-8 or an oversized document yields a :class:`BadLine` and reading goes on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import orjson


@dataclass(frozen=True)
class Document:
    """A valid input document.

    Attributes:
        line: 1-based line number in the input.
        id: the document id (numbers are converted to strings).
        text: the text to embed.
        content_hash: sha256 hex of the UTF-8 text (skip-unchanged and resume).
    """

    line: int
    id: str
    text: str
    content_hash: str


@dataclass(frozen=True)
class BadLine:
    """An input line that cannot be embedded.

    Attributes:
        line: 1-based line number.
        id: the document id when one could be read, else None.
        error_type: stable snake_case type (``malformed_json``, ``missing_text``, ...).
        reason: what is wrong, for a person.
    """

    line: int
    id: str | None
    error_type: str
    reason: str


def content_hash(text: str) -> str:
    """The content hash of a text (sha256 of its UTF-8 bytes, hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse(raw: bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        # orjson refuses unpaired surrogates that the JSON text spells as escapes; the stdlib
        # accepts them, which lets us say precisely what is wrong.
        return json.loads(raw)


def read_documents(
    lines: Iterable[bytes],
    *,
    id_field: str = "id",
    text_field: str = "text",
    max_chars: int = 10_000_000,
) -> Iterator[Document | BadLine]:
    """Parse JSONL lines into documents and bad lines, lazily.

    Args:
        lines: raw lines (bytes, as read from a binary file).
        id_field: the field holding the document id.
        text_field: the field holding the text.
        max_chars: longest accepted text, in code points.
    """
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        yield _read_line(number, raw, id_field, text_field, max_chars)


def _read_line(
    number: int, raw: bytes, id_field: str, text_field: str, max_chars: int
) -> Document | BadLine:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return BadLine(
            number,
            None,
            "invalid_utf8",
            f"line is not valid UTF-8: {exc.reason} at byte {exc.start}",
        )
    try:
        obj = _parse(raw)
    except (ValueError, RecursionError) as exc:
        # ValueError, not only JSONDecodeError: the stdlib fallback raises a plain ValueError for
        # an integer of more than 4300 digits (sys.int_info), which used to crash the whole job.
        return BadLine(number, None, "malformed_json", f"line is not valid JSON: {exc}")
    if not isinstance(obj, dict):
        return BadLine(number, None, "malformed_json", "line is not a JSON object")
    doc_id = obj.get(id_field)
    if isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
        what = "missing" if doc_id is None else f"not a string or integer ({type(doc_id).__name__})"
        return BadLine(number, None, "invalid_id", f"field [{id_field}] is {what}")
    doc_id = str(doc_id)
    if not doc_id:
        return BadLine(number, None, "invalid_id", f"field [{id_field}] is empty")
    text = obj.get(text_field)
    if text is None:
        return BadLine(number, doc_id, "missing_text", f"field [{text_field}] is missing")
    if not isinstance(text, str):
        return BadLine(
            number,
            doc_id,
            "invalid_text",
            f"field [{text_field}] is not a string ({type(text).__name__})",
        )
    if not text.strip():
        return BadLine(number, doc_id, "empty_text", f"field [{text_field}] is empty")
    if len(text) > max_chars:
        return BadLine(
            number,
            doc_id,
            "document_too_large",
            f"text has {len(text)} characters, more than the limit of {max_chars} "
            "(INFERQ_MAX_DOCUMENT_CHARS)",
        )
    try:
        hashed = content_hash(text)
    except UnicodeEncodeError:
        return BadLine(
            number,
            doc_id,
            "invalid_text",
            f"field [{text_field}] contains an unpaired UTF-16 surrogate",
        )
    return Document(number, doc_id, text, hashed)
