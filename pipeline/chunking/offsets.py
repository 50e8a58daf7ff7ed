"""Chunks and the two offset units: code points (Python) and UTF-16 code units (Elasticsearch).

ICU, like Java, indexes text in UTF-16 code units; Python indexes code points. The two differ
only after astral characters (emoji, rare CJK), which take two UTF-16 units and one code point.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk of a document.

    Attributes:
        text: the chunk text, ``document[start:end]``.
        start: start offset in code points (Python ``str`` index).
        end: end offset in code points, exclusive.
        utf16_start: start offset in UTF-16 code units (what Elasticsearch reports).
        utf16_end: end offset in UTF-16 code units, exclusive.
    """

    text: str
    start: int
    end: int
    utf16_start: int
    utf16_end: int


class Utf16Offsets:
    """Converts UTF-16 offsets of one text to code-point offsets and back.

    Args:
        text: the document.
    """

    __slots__ = ("_astral_cp", "_astral_u16", "length_u16")

    def __init__(self, text: str) -> None:
        # A Python lone surrogate is one code point and one UTF-16 unit: only astral
        # characters shift the two scales apart. isascii() is O(1) in CPython and the UTF-16
        # length check runs at memcpy speed, so the regex only scans texts that have some.
        cps: list[int] = []
        if not text.isascii() and len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text):
            cps = [m.start() for m in _ASTRAL.finditer(text)]
        self._astral_cp = cps
        self._astral_u16 = [cp + i for i, cp in enumerate(cps)]
        self.length_u16 = len(text) + len(cps)

    def to_code_points(self, u16: int) -> int:
        """Code-point offset of a UTF-16 offset that is not inside a surrogate pair."""
        if not self._astral_u16:
            return u16
        return u16 - bisect_left(self._astral_u16, u16)

    def to_utf16(self, cp: int) -> int:
        """UTF-16 offset of a code-point offset."""
        if not self._astral_cp:
            return cp
        return cp + bisect_left(self._astral_cp, cp)


def make_chunks(text: str, spans_u16: list[tuple[int, int]], offsets: Utf16Offsets) -> list[Chunk]:
    """Build chunks from UTF-16 spans of ``text``.

    Args:
        text: the document.
        spans_u16: (start, end) pairs in UTF-16 code units.
        offsets: the converter for ``text``.

    Returns:
        The chunks, in the order given.
    """
    chunks = []
    to_cp = offsets.to_code_points
    for s16, e16 in spans_u16:
        s, e = to_cp(s16), to_cp(e16)
        chunks.append(Chunk(text[s:e], s, e, s16, e16))
    return chunks


def to_utf16_offsets(text: str, cp_offsets: list[int]) -> list[int]:
    """Convert code-point offsets into ``text`` to UTF-16 code-unit offsets (Elasticsearch's).

    Args:
        text: the document.
        cp_offsets: offsets in code points.

    Returns:
        The same offsets in UTF-16 code units.
    """
    conv = Utf16Offsets(text)
    return [conv.to_utf16(cp) for cp in cp_offsets]
