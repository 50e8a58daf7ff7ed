"""``chunking_settings``: the value objects and THE one parser, with Elasticsearch's error texts.

Parsing follows Elasticsearch 8.16-9.1 (the seeds): strategies ``sentence``, ``word`` and
``none`` (matched exactly, case-sensitive); ``recursive`` is not part of those releases and is
rejected like any unknown strategy. ``max_chunk_size`` is bounded to [10, 300] words (word) or
[20, 300] (sentence), with the 8.16-9.1 wording ``must be a greater/less than or equal to``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pipeline.chunking._java import JAVA_INT_MAX, JAVA_INT_MIN, java_hashmap_order, java_str
from pipeline.errors import ValidationError

SCOPE = "chunking_settings"
MAX_CHUNK_SIZE_UPPER = 300
WORD_MIN_CHUNK_SIZE = 10
SENTENCE_MIN_CHUNK_SIZE = 20


@dataclass(frozen=True, slots=True)
class WordChunkingSettings:
    """Word strategy: windows of ``max_chunk_size`` words sharing ``overlap`` words."""

    max_chunk_size: int
    overlap: int
    strategy: Literal["word"] = "word"

    def to_dict(self) -> dict[str, object]:
        """Elasticsearch's serialization (GET/PUT response)."""
        return {"strategy": "word", "max_chunk_size": self.max_chunk_size, "overlap": self.overlap}


@dataclass(frozen=True, slots=True)
class SentenceChunkingSettings:
    """Sentence strategy: whole sentences up to ``max_chunk_size`` words; overlap 0 or 1."""

    max_chunk_size: int
    sentence_overlap: int = 1
    strategy: Literal["sentence"] = "sentence"

    def to_dict(self) -> dict[str, object]:
        """Elasticsearch's serialization (GET/PUT response)."""
        return {
            "strategy": "sentence",
            "max_chunk_size": self.max_chunk_size,
            "sentence_overlap": self.sentence_overlap,
        }


@dataclass(frozen=True, slots=True)
class NoneChunkingSettings:
    """Chunking disabled: every input is one chunk."""

    strategy: Literal["none"] = "none"

    def to_dict(self) -> dict[str, object]:
        """Elasticsearch's serialization (GET/PUT response)."""
        return {"strategy": "none"}


ChunkingSettings = WordChunkingSettings | SentenceChunkingSettings | NoneChunkingSettings

DEFAULT = SentenceChunkingSettings(max_chunk_size=250, sentence_overlap=1)
"""What a new endpoint gets when ``chunking_settings`` is absent, ``null`` or ``{}``."""

LEGACY_DEFAULT = WordChunkingSettings(max_chunk_size=250, overlap=100)
"""What an endpoint stored before 8.16 (no ``chunking_settings`` at all) chunks with."""


def parse_chunking_settings(
    obj: Mapping[str, object] | None, *, stored: bool = False
) -> ChunkingSettings:
    """Parse and validate a ``chunking_settings`` JSON object exactly as Elasticsearch does.

    Args:
        obj: the decoded JSON object, or None when the key is absent or ``null``.
        stored: True when reading an endpoint back from storage: there a missing object means
            the endpoint predates 8.16 and gets ``LEGACY_DEFAULT``. On create (the default)
            None and ``{}`` both give ``DEFAULT``.

    Returns:
        A frozen settings object.

    Raises:
        ValidationError: with Elasticsearch's messages; ``es_type`` is
            ``illegal_argument_exception`` for a missing or unknown strategy, else
            ``validation_exception`` with every problem found, in Elasticsearch's order.
    """
    if obj is None:
        return LEGACY_DEFAULT if stored else DEFAULT
    if not isinstance(obj, Mapping):
        raise ValidationError(
            f"field [{SCOPE}] is not of the expected type. "
            f"The value [{java_str(obj)}] cannot be converted to a [Map]",
            es_type="status_exception",
        )
    if not obj:
        return DEFAULT
    if "strategy" not in obj:
        raise ValidationError(
            "Can't generate Chunker without ChunkingStrategy provided",
            es_type="illegal_argument_exception",
        )
    strategy = java_str(obj["strategy"])
    if strategy == "none":
        # Elasticsearch's builder returns the singleton without looking at other keys.
        return NoneChunkingSettings()
    if strategy == "word":
        return _parse_word(obj)
    if strategy == "sentence":
        return _parse_sentence(obj)
    raise ValidationError(
        f"Invalid chunkingStrategy {strategy}", es_type="illegal_argument_exception"
    )


def _parse_word(obj: Mapping[str, object]) -> WordChunkingSettings:
    errors = _unknown_keys(obj, {"strategy", "max_chunk_size", "overlap"}, "Word")
    size = _bounded_int(obj, "max_chunk_size", WORD_MIN_CHUNK_SIZE, MAX_CHUNK_SIZE_UPPER, errors)
    overlap = None
    if size is not None:
        # Elasticsearch only looks at overlap once max_chunk_size is valid.
        overlap = _positive_int(obj, "overlap", errors)
        if overlap is not None and overlap > size // 2:
            errors.append(_bound_message("overlap", overlap, size // 2, "less"))
    if errors or size is None or overlap is None:
        raise ValidationError(errors)
    return WordChunkingSettings(max_chunk_size=size, overlap=overlap)


def _parse_sentence(obj: Mapping[str, object]) -> SentenceChunkingSettings:
    errors = _unknown_keys(obj, {"strategy", "max_chunk_size", "sentence_overlap"}, "Sentence")
    size = _bounded_int(
        obj, "max_chunk_size", SENTENCE_MIN_CHUNK_SIZE, MAX_CHUNK_SIZE_UPPER, errors
    )
    sentence_overlap = 1
    if obj.get("sentence_overlap") is not None:
        value = _as_java_int(obj, "sentence_overlap", errors)
        if value is not None:
            if value not in (0, 1):
                errors.append(f"sentence_overlap[{value}] must be either 0 or 1")
            sentence_overlap = value
    if errors or size is None:
        raise ValidationError(errors)
    return SentenceChunkingSettings(max_chunk_size=size, sentence_overlap=sentence_overlap)


def _unknown_keys(obj: Mapping[str, object], allowed: set[str], kind: str) -> list[str]:
    keys = java_hashmap_order([str(k) for k in obj])
    unknown = [k for k in keys if k not in allowed]
    if not unknown:
        return []
    listed = ", ".join(unknown)
    return [f"{kind} based chunking settings can not have the following settings: [{listed}]"]


def _as_java_int(obj: Mapping[str, object], key: str, errors: list[str]) -> int | None:
    """The value if Jackson would have parsed it as a Java ``Integer``, else a type error."""
    value = obj.get(key)
    if value is None:
        return None
    # bool is an int in Python but a Boolean in Java; ints beyond 32 bits are Java Longs.
    if isinstance(value, int) and not isinstance(value, bool):  # noqa: SIM102 - two reasons
        if JAVA_INT_MIN <= value <= JAVA_INT_MAX:
            return value
    errors.append(
        f"field [{key}] is not of the expected type. "
        f"The value [{java_str(value)}] cannot be converted to a [Integer]"
    )
    return None


def _positive_int(obj: Mapping[str, object], key: str, errors: list[str]) -> int | None:
    before = len(errors)
    value = _as_java_int(obj, key, errors)
    if len(errors) > before:
        return None
    if value is None:
        errors.append(f"[{SCOPE}] does not contain the required setting [{key}]")
        return None
    if value <= 0:
        errors.append(f"[{SCOPE}] Invalid value [{value}]. [{key}] must be a positive integer")
        return None
    return value


def _bounded_int(
    obj: Mapping[str, object], key: str, low: int, high: int, errors: list[str]
) -> int | None:
    value = _positive_int(obj, key, errors)
    if value is None:
        return None
    if value < low:
        errors.append(_bound_message(key, value, low, "greater"))
        return None
    if value > high:
        errors.append(_bound_message(key, value, high, "less"))
        return None
    return value


def _bound_message(key: str, value: int, bound: int, side: Literal["greater", "less"]) -> str:
    # Elasticsearch formats both numbers as Java doubles here ("5.0", "10.0").
    return (
        f"[{SCOPE}] Invalid value [{value}.0]. [{key}] must be a {side} than or equal to "
        f"[{bound}.0]"
    )
