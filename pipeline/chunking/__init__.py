"""Chunking exactly as Elasticsearch's inference API chunks (ICU words and sentences).

Public API::

    parse_chunking_settings(obj) -> ChunkingSettings     # the one parser, Elasticsearch's errors
    chunk(text, settings) -> list[Chunk]                  # .text, .start, .end (code points),
                                                          # .utf16_start, .utf16_end (Elasticsearch)
    word_chunks(text, max_words, overlap)                 # the engines, without the API's bounds
    sentence_chunks(text, max_words, sentence_overlap)

The chunkers run in C (``_icuchunk``, see ``native``) when that optional module was built, else
in Python; both ask ICU for every answer and give identical chunks.
"""

from __future__ import annotations

from pipeline.chunking.offsets import Chunk, to_utf16_offsets
from pipeline.chunking.sentence import sentence_chunks
from pipeline.chunking.settings import (
    DEFAULT,
    LEGACY_DEFAULT,
    ChunkingSettings,
    NoneChunkingSettings,
    SentenceChunkingSettings,
    WordChunkingSettings,
    parse_chunking_settings,
)
from pipeline.chunking.word import word_chunks
from pipeline.errors import InputError

__all__ = [
    "DEFAULT",
    "LEGACY_DEFAULT",
    "Chunk",
    "ChunkingSettings",
    "NoneChunkingSettings",
    "SentenceChunkingSettings",
    "WordChunkingSettings",
    "chunk",
    "parse_chunking_settings",
    "sentence_chunks",
    "to_utf16_offsets",
    "word_chunks",
]


def chunk(text: str, settings: ChunkingSettings) -> list[Chunk]:
    """Chunk one document with an endpoint's chunking settings.

    Args:
        text: the document.
        settings: parsed settings (``parse_chunking_settings``).

    Returns:
        The chunks, in document order; always at least one. Offsets are code points into
        ``text`` (``text[c.start:c.end] == c.text``); ``utf16_start``/``utf16_end`` are
        Elasticsearch's UTF-16 offsets.

    Raises:
        InputError: ``text`` is not a ``str`` (e.g. a JSON null or number in an input line).
    """
    if not isinstance(text, str):
        raise InputError(f"document text must be a string, not {type(text).__name__}")
    if isinstance(settings, WordChunkingSettings):
        return word_chunks(text, settings.max_chunk_size, settings.overlap)
    if isinstance(settings, SentenceChunkingSettings):
        return sentence_chunks(text, settings.max_chunk_size, settings.sentence_overlap)
    length_u16 = to_utf16_offsets(text, [len(text)])[0]
    return [Chunk(text, 0, len(text), 0, length_u16)]
