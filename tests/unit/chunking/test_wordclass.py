"""The first-character fast path decides word segments exactly as ICU's rule status does."""

from __future__ import annotations

from itertools import product

import icu
import pytest

from pipeline.chunking._wordclass import has_only_plain_chars
from pipeline.chunking.segmentation import WARM_UP, word_index

# One or two representatives of every Word_Break class a plain text can hold, plus the
# characters that force the exact path (ZWJ, surrogates, emoji, dictionary scripts).
ALPHABET = [
    "a",
    "Z",
    "0",
    ":",
    ".",
    "'",
    '"',
    ",",
    ";",
    "_",
    " ",
    "\n",
    "\r",
    "\t",
    "!",
    "é",
    "\u0301",
    "\u00ad",
    "\u2060",
    "ש",
    "Ω",
    "\u2013",
    "\u203f",
    "\u30fc",
    "\u0663",
    "\u200d",
    "😀",
    "\ud800",
    "ก",
    "中",
]


word_index(WARM_UP, len(WARM_UP))  # loads ICU's dictionary engines (see WARM_UP)


def exact_ends(text: str) -> list[int]:
    it = icu.BreakIterator.createWordInstance(icu.Locale.getRoot())
    it.setText(text)
    return [b for b in it if it.getRuleStatus() != 0]


@pytest.mark.parametrize("length", [1, 2, 3])
def test_every_short_string_matches_icu_status(length: int) -> None:
    """All strings of up to 3 characters over the class alphabet: fast path == ICU status."""
    for chars in product(ALPHABET, repeat=length):
        text = "".join(chars)
        u16 = len(text.encode("utf-16-le", "surrogatepass")) // 2
        assert word_index(text, u16).ends == exact_ends(text), repr(text)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("plain ascii", True),
        ("accents é \u2013 Ω", True),
        ("ไทย", False),
        ("日本", False),
        ("a\u200db", False),
        ("emoji 😀", False),
        ("lone \ud800", False),
        ("prolonged \u30fc mark", False),
        ("a_\u0301", False),
        ("don'\u0301t", False),
        ("a_b \u0301", True),
    ],
)
def test_exact_path_taken_where_rules_need_context(text: str, plain: bool) -> None:
    """Dictionary scripts, ZWJ, surrogates and astral characters take the per-boundary path."""
    assert has_only_plain_chars(text) is plain
