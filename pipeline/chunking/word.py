"""Elasticsearch's WordBoundaryChunker: windows of N ICU words sharing M words (reference §b).

The chunker walks word ends once; its state machine has a closed form, used here so that a
document costs one pass of ICU plus O(number of chunks) Python work:

* with ``step = size - overlap`` and ``n`` words (``E[i]`` = end of word i, 0-based), full
  window k (k = 0 .. F-1, ``F = (n - size) // step + 1`` when ``n >= size``) spans
  ``[E[k*step - 1] (0 for k = 0), E[k*step + size - 1])``;
* a final window ``[E[F*step - 1], len)`` follows only when words remain after the last full
  window (so trailing punctuation after an exactly full window belongs to no chunk), and a
  text with fewer than ``size`` words is one chunk ``[0, len)``.
"""

from __future__ import annotations

from pipeline.chunking import native
from pipeline.chunking.offsets import Chunk, Utf16Offsets, make_chunks
from pipeline.chunking.segmentation import word_index
from pipeline.errors import ValidationError


def java_div(a: int, b: int) -> int:
    """Java integer division (truncates toward zero), as Elasticsearch computes sizes."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def check_word_parameters(size: int, overlap: int) -> None:
    """The chunker-level checks of Elasticsearch's word chunker.

    Raises:
        ValidationError: ``illegal_argument_exception`` with Elasticsearch's text.
    """
    half = java_div(size, 2)
    if overlap > 0 and overlap > half:
        raise ValidationError(
            f"Invalid chunking parameters, overlap [{overlap}] must be < chunk size / 2 "
            f"[{size} / 2 = {half}]",
            es_type="illegal_argument_exception",
        )
    if overlap < 0:
        raise ValidationError(
            f"Invalid chunking parameters, overlap [{overlap}] must be >= 0",
            es_type="illegal_argument_exception",
        )


def word_windows(
    ends: list[int], length: int, size: int, overlap: int
) -> list[tuple[int, int, int]]:
    """The word chunker's windows over precomputed word ends.

    Args:
        ends: end offsets of the words, ascending (any unit).
        length: the text length in the same unit.
        size: words per window; values below 1 behave as 1 (overlap is then 0).
        overlap: words shared by consecutive windows, 0 <= overlap <= size // 2.

    Returns:
        (start, end, word count) per window.
    """
    size = max(size, 1)
    step = size - overlap
    n = len(ends)
    if n < size:
        return [(0, length, n)]
    full = (n - size) // step + 1
    windows = [(0, ends[size - 1], size)]
    windows += [(ends[k * step - 1], ends[k * step + size - 1], size) for k in range(1, full)]
    if n > (full - 1) * step + size:
        windows.append((ends[full * step - 1], length, n - full * step))
    return windows


def word_chunks(text: str, max_words: int, overlap: int) -> list[Chunk]:
    """Chunk ``text`` into windows of ``max_words`` ICU words with ``overlap`` shared words.

    The engine behind the ``word`` strategy, without the API's bounds (overlap 0 is allowed).

    Args:
        text: the document.
        max_words: words per chunk.
        overlap: words repeated at the start of the next chunk, at most ``max_words // 2``.

    Returns:
        The chunks, in order; at least one (``""`` gives one empty chunk).

    Raises:
        ValidationError: ``illegal_argument_exception`` for an overlap out of range.
    """
    check_word_parameters(max_words, overlap)
    seg = native.segmenter()
    if seg is not None and native.fits_int32(max_words, overlap):
        return seg.word_chunks(text, max_words, overlap)
    offsets = Utf16Offsets(text)
    index = word_index(text, offsets.length_u16)
    windows = word_windows(index.ends, offsets.length_u16, max_words, overlap)
    return make_chunks(text, [(s, e) for s, e, _ in windows], offsets)
