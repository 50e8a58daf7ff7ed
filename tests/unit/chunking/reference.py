"""A plain, literal port of Elasticsearch's chunkers (reference §b.2, §c.3, §c.4): the oracle.

Every boundary is visited with ICU's own iterator calls (``next``, ``preceding``,
``getRuleStatus``), exactly as the Java code walks them; nothing is precomputed or skipped. The
production code in ``pipeline.chunking`` must produce the same offsets. Offsets are UTF-16.
"""

from __future__ import annotations

import icu

from pipeline.chunking.segmentation import WARM_UP

DONE = -1


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _word_iterator(text: str) -> icu.BreakIterator:
    it = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
    it.setText(text)
    return it


# Load ICU's dictionary engines as a warm Elasticsearch node has (see segmentation.WARM_UP).
_ = list(_word_iterator(WARM_UP))


def ref_word_chunks(text: str, size: int, overlap: int) -> list[tuple[int, int, int]]:
    """(start, end, words) per chunk of the word chunker, by the §b.2 state machine."""
    it = _word_iterator(text)
    count = since_mark = window_start = next_window_start = 0
    step = size - overlap
    out: list[tuple[int, int, int]] = []
    b = it.first()
    while True:
        b = it.nextBoundary()
        if b == DONE:
            break
        if it.getRuleStatus() == 0:
            continue
        count += 1
        since_mark += 1
        if count >= size:
            out.append((window_start, b, count))
            count = overlap
            if overlap == 0:
                next_window_start = b
            window_start = next_window_start
        if since_mark == step:
            next_window_start = b
            since_mark = 0
    if count > overlap or not out:
        out.append((window_start, _u16(text), count))
    return out


def _preceding(it: icu.BreakIterator, start: int) -> int:
    it.preceding(start)
    return it.current() if start > 0 else it.first()


def _count_words(it: icu.BreakIterator, start: int, end: int) -> int:
    boundary = _preceding(it, start)
    words = 0
    while boundary != DONE and boundary <= end:
        if it.getRuleStatus() != 0:
            words += 1
        boundary = it.nextBoundary()
    return words


def _skip_words(it: icu.BreakIterator, start: int, n: int, length: int) -> int:
    boundary = _preceding(it, start)
    words = 0
    while boundary != DONE and words < n:
        if it.getRuleStatus() != 0:
            words += 1
        boundary = it.nextBoundary()
    return length if boundary == DONE else boundary


def ref_sentence_chunks(text: str, max_words: int, overlap: bool) -> list[tuple[int, int]]:
    """(start, end) per chunk of the sentence chunker, by §c.3 with ICU calls per boundary."""
    length = _u16(text)
    words_it = _word_iterator(text)
    sentences = icu.BreakIterator.createSentenceInstance(icu.Locale.getRoot())
    sentences.setText(text)
    out: list[tuple[int, int]] = []
    chunk_start = chunk_end = sentence_start = chunk_words = prev_start = prev_words = 0
    sentences.first()
    while (sentence_end := sentences.nextBoundary()) != DONE:
        w = _count_words(words_it, sentence_start, sentence_end)
        if chunk_words + w > max_words:
            next_words = w
            if chunk_words > 0:
                out.append((chunk_start, chunk_end))
                if overlap:
                    if prev_words + w > max_words:
                        cap = min(_jdiv(max_words, 2), 20)
                        skip = max(0, prev_words - cap)
                        chunk_start = _skip_words(words_it, prev_start, skip, length)
                        chunk_words = prev_words - skip + w
                    else:
                        chunk_start = prev_start
                        chunk_words = prev_words + w
                    next_words = chunk_words
                else:
                    chunk_start = chunk_end
                    chunk_words = w
            if next_words > max_words:
                piece = _slice_u16(text, chunk_start, sentence_end)
                sub = ref_word_chunks(piece, max_words, min(20, _jdiv(max_words - 1, 2)))
                out.extend((chunk_start + s, chunk_start + e) for s, e, _ in sub[:-1])
                chunk_start += sub[-1][0]
                chunk_words = sub[-1][2]
        else:
            chunk_words += w
        if overlap:
            prev_start, prev_words = sentence_start, w
        sentence_start = chunk_end = sentence_end
    if chunk_words > 0:
        out.append((chunk_start, length))
    if not out:
        out.append((0, length))
    return out


def _jdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _slice_u16(text: str, start: int, end: int) -> str:
    data = text.encode("utf-16-le", "surrogatepass")
    return data[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")


def ref_word_count(text: str) -> int:
    """Number of ICU words (segments with rule status != 0) in ``text``."""
    it = _word_iterator(text)
    return sum(1 for _ in it if it.getRuleStatus() != 0)
