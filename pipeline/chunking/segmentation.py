"""ICU word and sentence segmentation with the root locale, as Elasticsearch uses it.

A *word* is an ICU word-break segment whose rule status at its end boundary is not 0
(``UBRK_WORD_NONE``): letters, numbers, kana, ideographs. Spaces, punctuation, symbols and
emoji are segments of status 0. All offsets here are UTF-16 code units, ICU's native unit.

ICU break iterators are not thread-safe, so each thread keeps its own.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter

import icu

from pipeline.chunking._wordclass import first_char_classes, has_only_plain_chars

_local = threading.local()


# ICU loads its dictionary engines (CJK, Thai, Lao, Khmer, Burmese) lazily. Until the CJK
# engine is loaded, a run that starts with a character shared by scripts (U+30FC "ー") is left
# unsplit ("ー中" is one word on first use, two afterwards). A long-running Elasticsearch node has
# long loaded them, so every word iterator segments this text once before first use.
WARM_UP = "中文 ひらがな カタカナ ภาษาไทย ພາສາລາວ ភាសាខ្មែរ မြန်မာ 한국어"


def _iterators() -> dict[str, icu.BreakIterator]:
    cache: dict[str, icu.BreakIterator] | None = getattr(_local, "iterators", None)
    if cache is None:
        root = icu.Locale.getRoot()
        words = icu.BreakIterator.createWordInstance(root)
        words.setText(WARM_UP)
        list(words)
        cache = {"word": words, "sentence": icu.BreakIterator.createSentenceInstance(root)}
        _local.iterators = cache
    return cache


def sentence_ends(text: str) -> list[int]:
    """End offsets (UTF-16) of ICU's sentences of ``text``; empty for empty text."""
    it = _iterators()["sentence"]
    it.setText(text)
    return list(it)


@dataclass(frozen=True, slots=True)
class WordIndex:
    """ICU word boundaries of one text, with the ends of the segments that are words.

    Attributes:
        bounds: every boundary after 0, ascending (UTF-16 offsets; the last is the length).
        ends: the boundaries whose segment is a word, ascending.
        length: the text length in UTF-16 code units.
    """

    bounds: list[int]
    ends: list[int]
    length: int

    def preceding(self, pos: int) -> int:
        """The last boundary before ``pos`` (0 when none), as ``BreakIterator.preceding``."""
        i = bisect_left(self.bounds, pos)
        return self.bounds[i - 1] if i > 0 else 0

    def count_words(self, start: int, end: int) -> int:
        """Elasticsearch's ``countWords``: words ending in [preceding(start), end].

        Starting at the boundary *before* ``start`` counts the word ending there too when a
        sentence starts one non-word character after a word (reference §c.2); kept on purpose.
        """
        first = self.preceding(start) if start > 0 else 0
        return bisect_right(self.ends, end) - bisect_left(self.ends, first)

    def skip_words(self, start: int, n: int) -> int:
        """Elasticsearch's ``skipWords``: the boundary after the separator that follows the
        ``n``-th word counted from ``preceding(start)`` (reference §c.4)."""
        first = self.preceding(start) if start > 0 else 0
        if n <= 0:
            return first
        j = bisect_left(self.ends, first) + n - 1
        if j >= len(self.ends):
            return self.length
        k = bisect_right(self.bounds, self.ends[j])
        return self.bounds[k] if k < len(self.bounds) else self.length


def word_index(text: str, length_u16: int) -> WordIndex:
    """Segment ``text`` into ICU words.

    Args:
        text: the text.
        length_u16: its length in UTF-16 code units.

    Returns:
        The boundaries and word ends, identical to asking ICU's rule status at every boundary.
    """
    it = _iterators()["word"]
    it.setText(text)
    if has_only_plain_chars(text):
        bounds = list(it)
        return WordIndex(bounds, _word_ends_by_class(it, text, bounds), length_u16)
    status = it.getRuleStatus
    bounds = []
    ends = []
    for b in it:
        bounds.append(b)
        if status():
            ends.append(b)
    return WordIndex(bounds, ends, length_u16)


def _word_ends_by_class(it: icu.BreakIterator, text: str, bounds: list[int]) -> list[int]:
    """Word ends decided by each segment's first character (see ``_wordclass``)."""
    if not bounds:
        return []
    # Segment i starts at bounds[i - 1] (0 for the first). Gathering the class byte at every
    # boundary in one C-level itemgetter call is what makes this path cheap; the padding byte
    # is the class "after" the last boundary, which no segment uses.
    classes = first_char_classes(text) + b"\x00"
    if len(bounds) > 1:
        mask = classes[:1] + bytes(itemgetter(*bounds)(classes))[:-1]
    else:
        mask = classes[:1]
    unknown = mask.find(2)
    if unknown >= 0:
        fixed = bytearray(mask)
        while unknown >= 0:
            # An ExtendNumLet-initial segment: "_" alone is 0, "__" or "_a" is a word. Ask ICU.
            it.following(bounds[unknown] - 1)
            fixed[unknown] = 1 if it.getRuleStatus() else 0
            unknown = mask.find(2, unknown + 1)
        mask = bytes(fixed)
    return list(compress(bounds, mask))
