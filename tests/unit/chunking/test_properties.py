"""Invariants of the chunkers on arbitrary text (hypothesis)."""

from __future__ import annotations

from itertools import pairwise

import icu
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.chunking import Chunk, sentence_chunks, to_utf16_offsets, word_chunks
from tests.unit.chunking.reference import ref_sentence_chunks
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


def sentence_bounds(text: str) -> set[int]:
    """ICU's sentence boundaries of ``text`` (UTF-16 units)."""
    it = icu.BreakIterator.createSentenceInstance(icu.Locale.getRoot())
    it.setText(text)
    return set(it)


# ICU can join a word across a sentence end ("a.ภาษา" in "a-a.ภาษาไทย", "a.שָׁלוֹם" after
# "日本語"). Elasticsearch's chunks then split that word, or, through the double count of
# §c.2 and skipWords, drop the text after the sentence end (the second example keeps only
# "日本語a."). test_words_across_sentence_ends_chunk_as_reference pins those chunks to the
# reference port; here such words are exempt from the coverage invariant.
ACROSS_SENTENCE_END = [("a-a.ภาษาไทย", 1, 0), ("日本語a.שָׁלוֹם", 1, 1)]


@PROPS
@given(text=mixed_texts, size=st.integers(1, 12), overlap=st.integers(0, 1))
@example(text=ACROSS_SENTENCE_END[0][0], size=1, overlap=0)
@example(text=ACROSS_SENTENCE_END[1][0], size=1, overlap=1)
def test_sentence_chunk_invariants(text: str, size: int, overlap: int) -> None:
    """Sentence chunks slice the input, cover every word and hold <= size words."""
    chunks = sentence_chunks(text, size, overlap)
    check_offsets(text, chunks)
    words = word_segments(text)
    sentence_ends = sentence_bounds(text)
    for w in words:
        if not any(w[0] < b < w[1] for b in sentence_ends):
            assert any(c.utf16_start <= w[0] and w[1] <= c.utf16_end for c in chunks)
    for c in chunks:
        # Counted in context: ICU may join a word across a sentence end, so count word ends.
        ends = [e for s, e in words if c.utf16_start < e <= c.utf16_end]
        assert len(ends) <= size
    if overlap == 0:
        for a, b in pairwise(chunks):
            assert a.end <= b.start or len(words_in(a, words)) == size


@pytest.mark.parametrize(("text", "size", "overlap"), ACROSS_SENTENCE_END)
def test_words_across_sentence_ends_chunk_as_reference(text: str, size: int, overlap: int) -> None:
    """Words ICU joins across a sentence end are chunked exactly as the reference port does."""
    spans = [(c.utf16_start, c.utf16_end) for c in sentence_chunks(text, size, overlap)]
    assert spans == ref_sentence_chunks(text, size, overlap == 1)
