"""Invariants of the chunkers on arbitrary text (hypothesis)."""

from __future__ import annotations

from itertools import pairwise

import icu
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.chunking import Chunk, sentence_chunks, to_utf16_offsets, word_chunks
from tests.unit.chunking.strategies import mixed_texts

PROPS = settings(max_examples=200, deadline=None)


def word_segments(text: str) -> list[tuple[int, int]]:
    """(start, end) in UTF-16 units of every ICU word of ``text``."""
    it = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
    it.setText(text)
    out, prev = [], 0
    for b in it:
        if it.getRuleStatus():
            out.append((prev, b))
        prev = b
    return out


def check_offsets(text: str, chunks: list[Chunk]) -> None:
    assert chunks, "at least one chunk"
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert to_utf16_offsets(text, [c.start, c.end]) == [c.utf16_start, c.utf16_end]
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    assert [c.end for c in chunks] == sorted(c.end for c in chunks)


def words_in(chunk: Chunk, words: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [w for w in words if chunk.utf16_start <= w[0] and w[1] <= chunk.utf16_end]


@PROPS
@given(text=mixed_texts, size=st.integers(1, 10), data=st.data())
def test_word_chunk_invariants(text: str, size: int, data: st.DataObject) -> None:
    """Word chunks slice the input, cover every word, hold <= size words, overlap exactly."""
    overlap = data.draw(st.integers(0, size // 2))
    chunks = word_chunks(text, size, overlap)
    check_offsets(text, chunks)
    words = word_segments(text)
    for w in words:
        assert any(c.utf16_start <= w[0] and w[1] <= c.utf16_end for c in chunks)
    for c in chunks:
        assert len(words_in(c, words)) <= size
    for a, b in pairwise(chunks):
        shared = set(words_in(a, words)) & set(words_in(b, words))
        assert len(shared) == overlap
        assert len(words_in(a, words)) == size  # only the last chunk may be partial
    if len(chunks) == 1 and len(words) < size:
        assert chunks[0].text == text


@PROPS
@given(text=mixed_texts, size=st.integers(1, 12), overlap=st.integers(0, 1))
def test_sentence_chunk_invariants(text: str, size: int, overlap: int) -> None:
    """Sentence chunks slice the input, cover every word and hold <= size words."""
    chunks = sentence_chunks(text, size, overlap)
    check_offsets(text, chunks)
    words = word_segments(text)
    for w in words:
        assert any(c.utf16_start <= w[0] and w[1] <= c.utf16_end for c in chunks)
    for c in chunks:
        # Counted in context: ICU may join a word across a sentence end, so count word ends.
        ends = [e for s, e in words if c.utf16_start < e <= c.utf16_end]
        assert len(ends) <= size
    if overlap == 0:
        for a, b in pairwise(chunks):
            assert a.end <= b.start or len(words_in(a, words)) == size
