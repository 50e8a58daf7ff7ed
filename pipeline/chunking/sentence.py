"""Elasticsearch's SentenceBoundaryChunker: whole ICU sentences packed up to N words (§c).

Word counts per sentence use Elasticsearch's ``countWords``, which starts at the word boundary
*before* the sentence and so can count the previous word again (§c.2). A sentence too long for
one chunk is split by the word chunker with ``min(20, (N - 1) / 2)`` words of overlap, even when
``sentence_overlap`` is 0.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from pipeline.chunking import native
from pipeline.chunking.offsets import Chunk, Utf16Offsets, make_chunks
from pipeline.chunking.segmentation import sentence_ends, word_index
from pipeline.chunking.word import java_div, word_windows


def sentence_spans(
    text: str, offsets: Utf16Offsets, max_words: int, overlap: bool
) -> list[tuple[int, int]]:
    """The sentence chunker's spans in UTF-16 code units.

    Args:
        text: the document.
        offsets: the UTF-16 converter of ``text``.
        max_words: the word budget per chunk.
        overlap: start each chunk with the previous sentence (capped at
            ``min(max_words / 2, 20)`` words).

    Returns:
        (start, end) per chunk, in order; at least one.
    """
    length = offsets.length_u16
    words = word_index(text, length)
    spans: list[tuple[int, int]] = []
    carry_cap = min(java_div(max_words, 2), 20)
    split_overlap = min(20, java_div(max_words - 1, 2))
    chunk_start = chunk_end = sentence_start = chunk_words = 0
    prev_start = prev_words = 0
    # count_words inlined: this loop runs once per sentence.
    bounds, ends = words.bounds, words.ends
    for sentence_end in sentence_ends(text):
        i = bisect_left(bounds, sentence_start)
        first = bounds[i - 1] if i > 0 else 0
        w = bisect_right(ends, sentence_end) - bisect_left(ends, first)
        if chunk_words + w > max_words:
            next_words = w
            if chunk_words > 0:
                spans.append((chunk_start, chunk_end))
                if overlap:
                    if prev_words + w > max_words:
                        skip = max(0, prev_words - carry_cap)
                        chunk_start = words.skip_words(prev_start, skip)
                        chunk_words = prev_words - skip + w
                    else:
                        chunk_start = prev_start
                        chunk_words = prev_words + w
                    next_words = chunk_words
                else:
                    chunk_start = chunk_end
                    chunk_words = w
            if next_words > max_words:
                piece = _split_long(
                    text, offsets, chunk_start, sentence_end, max_words, split_overlap
                )
                spans.extend((chunk_start + s, chunk_start + e) for s, e, _ in piece[:-1])
                chunk_start += piece[-1][0]
                chunk_words = piece[-1][2]
        else:
            chunk_words += w
        if overlap:
            prev_start, prev_words = sentence_start, w
        sentence_start = chunk_end = sentence_end
    if chunk_words > 0:
        spans.append((chunk_start, length))
    if not spans:
        spans.append((0, length))
    return spans


def _split_long(
    text: str, offsets: Utf16Offsets, start: int, end: int, max_words: int, overlap: int
) -> list[tuple[int, int, int]]:
    """Word-chunk ``text[start:end]`` (UTF-16 offsets) on its own, as Elasticsearch does."""
    piece = text[offsets.to_code_points(start) : offsets.to_code_points(end)]
    piece_len = end - start
    index = word_index(piece, piece_len)
    return word_windows(index.ends, piece_len, max_words, overlap)


def sentence_chunks(text: str, max_words: int, sentence_overlap: int) -> list[Chunk]:
    """Chunk ``text`` into whole ICU sentences of at most ``max_words`` words.

    The engine behind the ``sentence`` strategy, without the API's bounds.

    Args:
        text: the document.
        max_words: the word budget per chunk (long sentences are split by words).
        sentence_overlap: 0, or more than 0 to repeat the previous sentence at the start of
            each chunk (Elasticsearch treats any positive value as 1).

    Returns:
        The chunks, in order; at least one (``""`` gives one empty chunk).
    """
    seg = native.segmenter()
    # Below 1 word the long-sentence split has a negative overlap: left to the Python path.
    if seg is not None and 1 <= max_words <= native.INT32_MAX:
        return seg.sentence_chunks(text, max_words, sentence_overlap > 0)
    offsets = Utf16Offsets(text)
    spans = sentence_spans(text, offsets, max_words, sentence_overlap > 0)
    return make_chunks(text, spans, offsets)
