"""parse_chunking_settings: Elasticsearch 8.16-9.1 defaults, serialization and error texts."""

# Elasticsearch's messages are kept on one line each so they can be compared with its sources.
# ruff: noqa: E501

from __future__ import annotations

import pytest

from pipeline.chunking import (
    DEFAULT,
    LEGACY_DEFAULT,
    NoneChunkingSettings,
    SentenceChunkingSettings,
    WordChunkingSettings,
    parse_chunking_settings,
)
from pipeline.chunking._java import java_double
from pipeline.errors import ValidationError


def _error(obj: object) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        parse_chunking_settings(obj)  # type: ignore[arg-type]
    return info.value


def test_none_gives_sentence_default() -> None:
    """A new endpoint without chunking_settings gets sentence(250, 1)."""
    assert parse_chunking_settings(None) == DEFAULT
    assert DEFAULT.to_dict() == {
        "strategy": "sentence",
        "max_chunk_size": 250,
        "sentence_overlap": 1,
    }


def test_empty_object_gives_sentence_default() -> None:
    """``{}`` is the sentence default too."""
    assert parse_chunking_settings({}) == DEFAULT


def test_stored_endpoint_without_settings_gets_legacy_word_default() -> None:
    """An endpoint stored before 8.16 (no settings at all) chunks with word(250, 100)."""
    assert parse_chunking_settings(None, stored=True) == LEGACY_DEFAULT
    assert LEGACY_DEFAULT.to_dict() == {"strategy": "word", "max_chunk_size": 250, "overlap": 100}


def test_word_settings_parse_and_serialize() -> None:
    """A valid word object round-trips through to_dict."""
    s = parse_chunking_settings({"strategy": "word", "max_chunk_size": 10, "overlap": 5})
    assert s == WordChunkingSettings(max_chunk_size=10, overlap=5)
    assert s.to_dict() == {"strategy": "word", "max_chunk_size": 10, "overlap": 5}


def test_sentence_overlap_defaults_to_one() -> None:
    """sentence_overlap is optional and defaults to 1; 0 is kept."""
    assert parse_chunking_settings({"strategy": "sentence", "max_chunk_size": 20}) == (
        SentenceChunkingSettings(max_chunk_size=20, sentence_overlap=1)
    )
    s = parse_chunking_settings(
        {"strategy": "sentence", "max_chunk_size": 300, "sentence_overlap": 0}
    )
    assert s.to_dict() == {"strategy": "sentence", "max_chunk_size": 300, "sentence_overlap": 0}


def test_none_strategy_ignores_other_keys() -> None:
    """``none`` goes through the builder path, which never looks at the other keys."""
    s = parse_chunking_settings({"strategy": "none", "max_chunk_size": "x", "bogus": 1})
    assert s == NoneChunkingSettings()
    assert s.to_dict() == {"strategy": "none"}


def test_settings_are_frozen() -> None:
    """Settings are immutable value objects."""
    with pytest.raises(AttributeError):
        DEFAULT.max_chunk_size = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"max_chunk_size": 10}, "Can't generate Chunker without ChunkingStrategy provided"),
        ({"strategy": "Word", "max_chunk_size": 10}, "Invalid chunkingStrategy Word"),
        ({"strategy": "recursive", "max_chunk_size": 10}, "Invalid chunkingStrategy recursive"),
        ({"strategy": " word"}, "Invalid chunkingStrategy  word"),
        ({"strategy": 1}, "Invalid chunkingStrategy 1"),
    ],
)
def test_strategy_errors_are_illegal_argument(obj: dict[str, object], message: str) -> None:
    """Missing or unknown (case-sensitive) strategies raise IllegalArgumentException texts."""
    err = _error(obj)
    assert err.messages == [message]
    assert err.es_type == "illegal_argument_exception"
    assert err.reason == message


W = {"strategy": "word"}
S = {"strategy": "sentence"}


@pytest.mark.parametrize(
    ("obj", "messages"),
    [
        (
            {**W, "overlap": 1},
            ["[chunking_settings] does not contain the required setting [max_chunk_size]"],
        ),
        (
            {**W, "max_chunk_size": 10},
            ["[chunking_settings] does not contain the required setting [overlap]"],
        ),
        (
            {**W, "max_chunk_size": 5, "overlap": 1},
            [
                "[chunking_settings] Invalid value [5.0]. [max_chunk_size] must be a greater than or equal to [10.0]"
            ],
        ),
        (
            {**W, "max_chunk_size": 301, "overlap": 1},
            [
                "[chunking_settings] Invalid value [301.0]. [max_chunk_size] must be a less than or equal to [300.0]"
            ],
        ),
        (
            {**W, "max_chunk_size": 0, "overlap": 1},
            ["[chunking_settings] Invalid value [0]. [max_chunk_size] must be a positive integer"],
        ),
        (
            {**W, "max_chunk_size": -3, "overlap": 1},
            ["[chunking_settings] Invalid value [-3]. [max_chunk_size] must be a positive integer"],
        ),
        (
            {**W, "max_chunk_size": 10, "overlap": 0},
            ["[chunking_settings] Invalid value [0]. [overlap] must be a positive integer"],
        ),
        (
            {**W, "max_chunk_size": 10, "overlap": 6},
            [
                "[chunking_settings] Invalid value [6.0]. [overlap] must be a less than or equal to [5.0]"
            ],
        ),
        (
            {**W, "max_chunk_size": 11, "overlap": 6},
            [
                "[chunking_settings] Invalid value [6.0]. [overlap] must be a less than or equal to [5.0]"
            ],
        ),
        (
            {**W, "max_chunk_size": 250.0, "overlap": 1},
            [
                "field [max_chunk_size] is not of the expected type. The value [250.0] cannot be converted to a [Integer]"
            ],
        ),
        (
            {**W, "max_chunk_size": "250", "overlap": 1},
            [
                "field [max_chunk_size] is not of the expected type. The value [250] cannot be converted to a [Integer]"
            ],
        ),
        (
            {**W, "max_chunk_size": True, "overlap": 1},
            [
                "field [max_chunk_size] is not of the expected type. The value [true] cannot be converted to a [Integer]"
            ],
        ),
        (
            {**W, "max_chunk_size": 2**31, "overlap": 1},
            [
                "field [max_chunk_size] is not of the expected type. The value [2147483648] cannot be converted to a [Integer]"
            ],
        ),
        (
            {**W, "max_chunk_size": 1e7, "overlap": 1},
            [
                "field [max_chunk_size] is not of the expected type. The value [1.0E7] cannot be converted to a [Integer]"
            ],
        ),
        (
            {**W, "max_chunk_size": 10, "overlap": 2.5},
            [
                "field [overlap] is not of the expected type. The value [2.5] cannot be converted to a [Integer]"
            ],
        ),
        (
            {**W, "max_chunk_size": 5, "overlap": 99},
            [
                "[chunking_settings] Invalid value [5.0]. [max_chunk_size] must be a greater than or equal to [10.0]"
            ],
        ),
        (
            {**W, "max_chunk_size": 10, "overlap": 1, "foo": 1},
            ["Word based chunking settings can not have the following settings: [foo]"],
        ),
        (
            {**W, "max_chunk_size": 10, "overlap": 1, "sentence_overlap": 1},
            [
                "Word based chunking settings can not have the following settings: [sentence_overlap]"
            ],
        ),
        (
            {**W, "foo": 1, "bar": 2},
            [
                "Word based chunking settings can not have the following settings: [bar, foo]",
                "[chunking_settings] does not contain the required setting [max_chunk_size]",
            ],
        ),
        ({**S}, ["[chunking_settings] does not contain the required setting [max_chunk_size]"]),
        (
            {**S, "max_chunk_size": 19},
            [
                "[chunking_settings] Invalid value [19.0]. [max_chunk_size] must be a greater than or equal to [20.0]"
            ],
        ),
        (
            {**S, "max_chunk_size": 301},
            [
                "[chunking_settings] Invalid value [301.0]. [max_chunk_size] must be a less than or equal to [300.0]"
            ],
        ),
        (
            {**S, "max_chunk_size": 20, "sentence_overlap": 2},
            ["sentence_overlap[2] must be either 0 or 1"],
        ),
        (
            {**S, "max_chunk_size": 20, "sentence_overlap": -1},
            ["sentence_overlap[-1] must be either 0 or 1"],
        ),
        (
            {**S, "max_chunk_size": 20, "sentence_overlap": "1"},
            [
                "field [sentence_overlap] is not of the expected type. The value [1] cannot be converted to a [Integer]"
            ],
        ),
        (
            {**S, "max_chunk_size": 20, "overlap": 1},
            ["Sentence based chunking settings can not have the following settings: [overlap]"],
        ),
        (
            {**S, "max_chunk_size": 10, "sentence_overlap": 3, "x": 0},
            [
                "Sentence based chunking settings can not have the following settings: [x]",
                "[chunking_settings] Invalid value [10.0]. [max_chunk_size] must be a greater than or equal to [20.0]",
                "sentence_overlap[3] must be either 0 or 1",
            ],
        ),
    ],
)
def test_validation_errors_match_elasticsearch(obj: dict[str, object], messages: list[str]) -> None:
    """Each invalid object yields Elasticsearch's accumulated messages, in its order."""
    err = _error(obj)
    assert err.es_type == "validation_exception"
    assert err.messages == messages
    numbered = "".join(f"{i}: {m};" for i, m in enumerate(messages, 1))
    assert err.reason == f"Validation Failed: {numbered}"


def test_null_value_counts_as_missing() -> None:
    """A JSON null max_chunk_size is reported as missing, as Java's map lookup sees it."""
    err = _error({"strategy": "word", "max_chunk_size": None, "overlap": 1})
    assert err.messages == [
        "[chunking_settings] does not contain the required setting [max_chunk_size]"
    ]


def test_non_object_is_a_type_error() -> None:
    """A chunking_settings value that is not an object is rejected with the Map type error."""
    err = _error(["word"])
    assert err.messages == [
        "field [chunking_settings] is not of the expected type. The value [[word]] cannot be converted to a [Map]"
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (250.0, "250.0"),
        (1e7, "1.0E7"),
        (1e-4, "1.0E-4"),
        (0.001, "0.001"),
        (-0.0, "-0.0"),
        (123.25, "123.25"),
    ],
)
def test_java_double_rendering(value: float, text: str) -> None:
    """Floats are printed as Java's Double.toString prints them."""
    assert java_double(value) == text
