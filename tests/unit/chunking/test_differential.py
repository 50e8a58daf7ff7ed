"""The production chunkers equal the literal port in reference.py (the fast paths are exact)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.chunking import sentence_chunks, word_chunks
from tests.unit.chunking.reference import ref_sentence_chunks, ref_word_chunks
from tests.unit.chunking.strategies import mixed_texts

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
FAST = settings(max_examples=300, deadline=None)


def word_spans(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    return [(c.utf16_start, c.utf16_end) for c in word_chunks(text, size, overlap)]


def sentence_spans(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    return [(c.utf16_start, c.utf16_end) for c in sentence_chunks(text, size, overlap)]


def ref_words(text: str, size: int, overlap: int) -> list[tuple[int, int]]:
    return [(s, e) for s, e, _ in ref_word_chunks(text, size, overlap)]


@FAST
@given(text=mixed_texts, size=st.integers(1, 12), data=st.data())
def test_word_chunks_equal_reference(text: str, size: int, data: st.DataObject) -> None:
    """Word chunks equal the per-boundary ICU port for any text, size and overlap."""
    overlap = data.draw(st.integers(0, size // 2))
    assert word_spans(text, size, overlap) == ref_words(text, size, overlap)


@FAST
@given(text=mixed_texts, size=st.integers(1, 15), overlap=st.integers(0, 1))
def test_sentence_chunks_equal_reference(text: str, size: int, overlap: int) -> None:
    """Sentence chunks equal the per-boundary ICU port for any text, size and overlap."""
    assert sentence_spans(text, size, overlap) == ref_sentence_chunks(text, size, overlap == 1)


def _jsonl_texts(name: str, limit: int) -> list[str]:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for _, line in zip(range(limit), fh, strict=False)]


@pytest.mark.parametrize(("size", "overlap"), [(250, 100), (10, 5), (25, 0)])
def test_multilingual_word_chunks_equal_reference(size: int, overlap: int) -> None:
    """Word chunks of the 34-language sample (CJK, Thai, Khmer, ...) equal the port."""
    for text in _jsonl_texts("multilingual.jsonl", 100):
        assert word_spans(text, size, overlap) == ref_words(text, size, overlap)


@pytest.mark.parametrize(("size", "overlap"), [(250, 1), (20, 0), (30, 1)])
def test_multilingual_sentence_chunks_equal_reference(size: int, overlap: int) -> None:
    """Sentence chunks of the 34-language sample equal the port."""
    for text in _jsonl_texts("multilingual.jsonl", 100):
        assert sentence_spans(text, size, overlap) == ref_sentence_chunks(text, size, overlap == 1)


def test_corpus_slice_equals_reference() -> None:
    """The first 300 Wikipedia articles chunk identically to the port (both strategies)."""
    for text in _jsonl_texts("corpus.jsonl", 300):
        assert word_spans(text, 250, 100) == ref_words(text, 250, 100)
        assert sentence_spans(text, 250, 1) == ref_sentence_chunks(text, 250, True)
