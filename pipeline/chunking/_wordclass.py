"""Which ICU word segments are words, without asking ICU boundary by boundary.

Asking ``getRuleStatus()`` at every boundary costs one Python-to-ICU call per boundary, about
as much as ICU's segmentation itself. For most text the answer follows from ICU's own word rules
(``BreakIterator.getRules()``, ICU 77, root locale), which this module relies on:

1. No rule looks ahead past a boundary, so a segment's status is a function of the segment's
   characters alone, except inside *dictionary* ranges (Thai, Lao, Khmer, Burmese, CJK, Hangul),
   whose inner boundaries take the status of the surrounding range.
2. Every tagged rule (status 100-499) starts with a letter, a number, kana, an ideograph or an
   ExtendNumLet (``_``); every rule that can start with anything else is untagged (status 0).
3. A match that starts with a letter/number/ideograph ends on a character that starts a tagged
   one-character rule (or on Extend/Format marks such a rule absorbs), so its status is non-zero.
   Two exceptions: ``ZWJ + Extended_Pictographic`` chained after a letter (``a\\u200d😀`` has
   status 0), and marks after a final ExtendNumLet or Single_Quote (``a_\\u0301`` has status 0),
   because the tagged rules ending on those characters do not absorb marks.

Hence, in a text without dictionary characters, ZWJ, surrogates, astral characters (where
Python and ICU indices also coincide) and ExtendNumLet/Single_Quote followed by a mark, a
segment is a word iff its first character is in ``WORD_START``; a segment starting with an
ExtendNumLet (``_`` alone is 0, ``__`` is 200) is asked of ICU. Other texts take the exact
per-boundary path. ``tests/unit/chunking`` checks both paths against a literal per-boundary
port: every string of up to 3 characters over a class alphabet (4 was run once: no difference),
hypothesis, the multilingual sample and a corpus slice (the whole corpus was run once: equal).
The argument rests on ICU 77's rules; re-run those tests when PyICU-wheels moves ICU.
"""

from __future__ import annotations

import codecs
import re

import icu

WORD_START = icu.UnicodeSet(
    "[[:WB=ALetter:][:WB=Hebrew_Letter:][:WB=Numeric:][:WB=Katakana:][:Ideographic:]]"
)
EXTEND_NUM_LET = icu.UnicodeSet("[:WB=ExtendNumLet:]")
_DICTIONARY = icu.UnicodeSet(
    # The ``$dictionary`` set of ICU's word rules (characters segmented by dictionary engines;
    # note ``$Katakana`` there is Word_Break=Katakana, e.g. U+30FC), plus the Katakana script.
    "[[:LineBreak=Complex_Context:][:Han:][:Hiragana:][:WB=Katakana:][:Katakana:][\\uac00-\\ud7a3]]"
)


# Texts that need the exact path: dictionary characters, ZWJ, surrogates (a Python pair of lone
# surrogates is one astral character to ICU) and astral characters.
def _char_class(chars: icu.UnicodeSet) -> str:
    """A regex character class body for the BMP part of an ICU set (astral text never gets here)."""
    out = []
    for first, last in chars.ranges():
        if ord(first) > 0xFFFF:
            break
        last = chr(min(ord(last), 0xFFFF))
        out.append(re.escape(first) if first == last else f"{re.escape(first)}-{re.escape(last)}")
    return "".join(out)


_NEEDS_EXACT = icu.UnicodeSet(_DICTIONARY)
_NEEDS_EXACT.addAll(icu.UnicodeSet("[\\u200d\\ud800-\\udfff\\U00010000-\\U0010ffff]"))
_NEEDS_EXACT.freeze()  # frozen sets span text with ICU's fast BMP lookup
_NOT_CONTAINED = icu.USetSpanCondition.SPAN_NOT_CONTAINED


# Rule 3's other gap: tagged rules that end on an ExtendNumLet or a Single_Quote do not absorb
# following Extend/Format marks, so "a_\u0301" is one segment of status 0. Rare; sent to the
# exact path. (Single_Quote is only U+0027, which is ASCII: a mark after it makes text non-ASCII.)
_ENDS_WITHOUT_MARKS = icu.UnicodeSet("[[:WB=ExtendNumLet:][:WB=Single_Quote:]]")
_MARKS = icu.UnicodeSet("[[:WB=Extend:][:WB=Format:]]")
_MARKS_FROZEN = icu.UnicodeSet(_MARKS)
_MARKS_FROZEN.freeze()
_UNTAGGED_TAIL = re.compile(f"[{_char_class(_ENDS_WITHOUT_MARKS)}][{_char_class(_MARKS)}]")


def has_only_plain_chars(text: str) -> bool:
    """True when the first-character rule decides ``text``'s words (see module docstring)."""
    if text.isascii():
        return True
    if _NEEDS_EXACT.span(text, _NOT_CONTAINED) != len(text):
        return False
    # Most text has no marks at all; ICU's span answers that faster than the regex scan.
    if _MARKS_FROZEN.span(text, _NOT_CONTAINED) == len(text):
        return True
    return _UNTAGGED_TAIL.search(text) is None


# One byte per character: 1 = starts a word, 2 = ask ICU (ExtendNumLet), 0 = never a word.
# Non-ASCII characters are first replaced by an ASCII stand-in of their class ('a', '_', ' ').
CLASS_TABLE = bytes(
    1 if chr(i).isascii() and chr(i).isalnum() else 2 if chr(i) == "_" else 0 for i in range(256)
)
_stand_ins: dict[str, str] = {}


def _stand_in(c: str) -> str:
    got = _stand_ins.get(c)
    if got is None:
        got = "a" if WORD_START.contains(c) else "_" if EXTEND_NUM_LET.contains(c) else " "
        _stand_ins[c] = got
    return got


def _replace_with_class(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    run = exc.object[exc.start : exc.end]
    return "".join(map(_stand_in, run)), exc.end


ERRORS = "inferq.chunking.wordclass"
codecs.register_error(ERRORS, _replace_with_class)


def first_char_classes(text: str) -> bytes:
    """One class byte per character of ``text`` (see ``CLASS_TABLE``)."""
    return text.encode("ascii", ERRORS).translate(CLASS_TABLE)
