"""The C chunker and the Python path give identical chunks, including on hostile inputs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline.chunking import Chunk, native, sentence_chunks, word_chunks

DATA = Path(__file__).resolve().parents[4] / "shared" / "data"

HOSTILE = [
    "",
    " ",
    "a" * 1_000_000,  # 1 MB without a space: one word
    "x. " * 50_000,
    "😀" * 1000 + " end",  # astral only: UTF-16 and code-point offsets diverge
    "lone \ud800 high, lone \udc00 low, pair \ud83d\ude00 of lone halves",
    "astral \U0001d400\U0001d401 letters \ud800 with a lone surrogate",
    "𐀀\ud800\udc00 astral then two lone halves: PyICU makes them U+FFFD",
    "\ud800\udc00 two lone halves alone: PyICU keeps them, one astral letter to ICU",
    "mixed ไทย 中文 한국어 😀 don't 3.14 a_b\u0301 e\u0301\u200d👍 end.",
]


def assert_same(fn: Callable[..., list[Chunk]], *args: object) -> None:
    """Run a chunker on the C path and on the Python path; the chunks must be equal."""
    saved = native.enabled
    try:
        native.enabled = True
        c_chunks = fn(*args)
        native.enabled = False
        py_chunks = fn(*args)
    finally:
        native.enabled = saved
    assert c_chunks == py_chunks, args[1:]


@pytest.fixture(autouse=True, scope="module")
def need_c() -> None:
    """These tests compare the two paths: they need the C module."""
    if not native.AVAILABLE:
        pytest.skip("pipeline.chunking._icuchunk is not built (no compiler at install time)")


def test_path_switch_selects_implementation(chunker_path: str) -> None:
    """The conftest switch really moves the chunkers between C and Python."""
    assert (native.segmenter() is not None) == (chunker_path == "c")


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize(("size", "overlap"), [(250, 100), (3, 1), (1, 0)])
def test_hostile_inputs_equal(text: str, size: int, overlap: int) -> None:
    """Huge, astral-only and surrogate-laden texts chunk the same on both paths."""
    assert_same(word_chunks, text, size, overlap)
    assert_same(sentence_chunks, text, size, overlap % 2)


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (-3, 0), (2**40, 0), (2**31, 2**30)])
def test_out_of_range_sizes_equal(size: int, overlap: int) -> None:
    """Sizes beyond 32 bits (handed to the Python path) and below 1 agree with the Python path."""
    text = "One two three. Four five six seven! Eight nine."
    assert_same(word_chunks, text, size, overlap)
    assert_same(sentence_chunks, text, size, 1)


def test_corpus_and_multilingual_equal() -> None:
    """2000 Wikipedia articles and the 34-language sample: C chunks == Python chunks."""
    texts = []
    for name, limit in [("corpus.jsonl", 2000), ("multilingual.jsonl", 1000)]:
        if not (DATA / name).exists():
            pytest.skip(f"{DATA / name} not present")
        with (DATA / name).open(encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for _, line in zip(range(limit), fh, strict=False)]
    for text in texts:
        assert_same(word_chunks, text, 250, 100)
        assert_same(sentence_chunks, text, 250, 1)


def test_threads_chunk_independently() -> None:
    """Threads chunking at once (GIL released in C) give the single-threaded chunks."""
    texts = [f"Sentence {i}. " * (i % 97 + 1) + "中文分词测试 😀 end" for i in range(400)]
    serial = [sentence_chunks(t, 20, 1) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda t: sentence_chunks(t, 20, 1), texts))
    assert threaded == serial


def test_chunks_built_in_c_are_ordinary_frozen_chunks() -> None:
    """Chunks made in C are Chunk instances: equal, hashable and frozen like Python's."""
    native.enabled = True
    try:
        made = word_chunks("hello world 😀 again", 2, 1)[1]
    finally:
        native.enabled = native.AVAILABLE
    assert type(made) is Chunk
    assert made == Chunk(" world 😀 again", 5, 19, 5, 20)
    assert hash(made) == hash(Chunk(" world 😀 again", 5, 19, 5, 20))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.start = 0  # type: ignore[misc]
