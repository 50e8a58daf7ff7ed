"""chunking_settings through PUT (the chunkers' own parser); secrets kept out of every output."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.endpoints import Endpoint, parse_endpoint
from pipeline.errors import ValidationError

CANARY = "sk-CANARY-5f1d2c"
SENTENCE_DEFAULT = {"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 1}


def hf(chunking: Any = None, **extra: Any) -> dict[str, Any]:
    """A hugging_face body with the given chunking_settings."""
    body: dict[str, Any] = {
        "service": "hugging_face",
        "service_settings": {"api_key": CANARY, "url": "u"},
        **extra,
    }
    if chunking is not None:
        body["chunking_settings"] = chunking
    return body


def chunking_of(body: dict[str, Any], task_type: str = "text_embedding") -> dict[str, Any] | None:
    """The chunking_settings of the endpoint PUT with ``body``."""
    return parse_endpoint(task_type, "ep", body).endpoint.to_es().get("chunking_settings")


# --- chunking_settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("given", [None, {}])
def test_chunking_default_is_sentence_250_1(given: Any) -> None:
    """Absent or {} chunking_settings give the sentence default (reference §a.2)."""
    body = hf()
    if given is not None:
        body["chunking_settings"] = given
    assert chunking_of(body) == SENTENCE_DEFAULT


def test_chunking_null_is_the_default() -> None:
    """chunking_settings: null is the sentence default too."""
    assert chunking_of({**hf(), "chunking_settings": None}) == SENTENCE_DEFAULT


def test_sparse_embedding_takes_chunking() -> None:
    """sparse_embedding endpoints take chunking_settings like text_embedding ones."""
    body = {
        "service": "elser",
        "service_settings": {"num_allocations": 1, "num_threads": 1},
        "chunking_settings": {"strategy": "word", "max_chunk_size": 10, "overlap": 5},
    }
    assert chunking_of(body, "sparse_embedding") == {
        "strategy": "word",
        "max_chunk_size": 10,
        "overlap": 5,
    }


@pytest.mark.parametrize(
    "settings",
    [
        {"strategy": "word", "max_chunk_size": 10, "overlap": 1},
        {"strategy": "word", "max_chunk_size": 300, "overlap": 150},
        {"strategy": "sentence", "max_chunk_size": 20, "sentence_overlap": 0},
        {"strategy": "sentence", "max_chunk_size": 300, "sentence_overlap": 1},
        {"strategy": "none"},
    ],
)
def test_chunking_bounds_accepted(settings: dict[str, Any]) -> None:
    """The seeds' bounds are inclusive and the settings are echoed as given."""
    assert chunking_of(hf(settings)) == settings


@pytest.mark.parametrize(
    "settings",
    [
        {"strategy": "word", "max_chunk_size": 9, "overlap": 1},
        {"strategy": "word", "max_chunk_size": 301, "overlap": 1},
        {"strategy": "word", "max_chunk_size": 10, "overlap": 0},
        {"strategy": "word", "max_chunk_size": 10, "overlap": 6},
        {"strategy": "sentence", "max_chunk_size": 19},
        {"strategy": "sentence", "max_chunk_size": 301},
        {"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 2},
        {"strategy": "words", "max_chunk_size": 250},
        {"max_chunk_size": 250},
    ],
)
def test_chunking_bounds_refused(settings: dict[str, Any]) -> None:
    """Outside the seeds' bounds (word 10..300, overlap 1..max/2, sentence 20..300, 0|1) fails."""
    with pytest.raises(ValidationError):
        parse_endpoint("text_embedding", "ep", hf(settings))


def test_chunking_sentence_overlap_text() -> None:
    """The chunkers' parser's Elasticsearch text reaches the PUT caller unchanged."""
    with pytest.raises(ValidationError) as info:
        parse_endpoint(
            "text_embedding",
            "ep",
            hf({"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 2}),
        )
    assert "sentence_overlap[2] must be either 0 or 1" in info.value.messages


# --- secrets never shown ------------------------------------------------------------------------


def test_secret_absent_from_endpoint_repr_and_to_es() -> None:
    """The api key is in Secrets only: not in the Endpoint, its repr, or to_es()."""
    endpoint, secrets = parse_endpoint("text_embedding", "ep", hf())
    assert secrets["api_key"] == CANARY
    assert CANARY not in repr(endpoint)
    assert CANARY not in str(endpoint.to_es())
    assert CANARY not in repr(secrets)
    assert CANARY not in str(secrets)
    assert CANARY not in repr(parse_endpoint("text_embedding", "ep", hf()))


@pytest.mark.parametrize(
    "body",
    [
        # A secret under task_settings (hugging_face has none there).
        {**hf(), "task_settings": {"api_key": CANARY}},
        # A secret-looking name the service does not know.
        {
            "service": "hugging_face",
            "service_settings": {"apikey": CANARY, "api_key": "k", "url": "u"},
        },
        # The secret repeated under an innocuous unknown key.
        {**hf(), "task_settings": {"note": CANARY}},
        # api_key on a service that has none.
        {
            "service": "elser",
            "service_settings": {"num_allocations": 1, "num_threads": 1, "api_key": CANARY},
        },
        # Inside a nested object.
        {
            "service": "hugging_face",
            "service_settings": {"api_key": "k", "url": "u", "rate_limit": {"token": CANARY}},
        },
        # At the top level.
        {**hf(), "secret_key": CANARY},
    ],
)
def test_unknown_settings_message_redacts_secrets(body: dict[str, Any]) -> None:
    """Elasticsearch's unknown-settings message prints values; secret ones print <redacted>."""
    task_type = "sparse_embedding" if body["service"] == "elser" else "text_embedding"
    with pytest.raises(ValidationError) as info:
        parse_endpoint(task_type, "ep", body)
    assert "unknown to the" in info.value.reason
    assert "<redacted>" in info.value.reason
    for text in (info.value.reason, str(info.value), repr(info.value), str(info.value.to_es())):
        assert CANARY not in text
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or CANARY not in str(info.value.__context__)


def test_bare_string_settings_are_not_echoed() -> None:
    """A string given as service_settings (a bare api key?) is redacted in the Map type error."""
    with pytest.raises(ValidationError) as info:
        parse_endpoint(
            "text_embedding",
            "ep",
            {"service": "hugging_face", "service_settings": CANARY},
        )
    assert CANARY not in info.value.reason


def test_requests_per_minute_without_limiter() -> None:
    """Endpoints of services without an HTTP limiter have requests_per_minute None."""
    endpoint = Endpoint("e", "sparse_embedding", "elser", {"num_threads": 1})
    assert endpoint.requests_per_minute is None
    assert endpoint.to_es() == {
        "inference_id": "e",
        "task_type": "sparse_embedding",
        "service": "elser",
        "service_settings": {"num_threads": 1},
    }


def test_stored_embedding_endpoint_without_chunking_gets_legacy_default() -> None:
    """An embedding endpoint read back without chunking_settings gets word 250/100 (§a.2)."""
    stored = {
        "inference_id": "old",
        "task_type": "text_embedding",
        "service": "hugging_face",
        "service_settings": {"url": "u"},
    }
    endpoint = Endpoint.from_es(stored)
    assert endpoint.to_es()["chunking_settings"] == {
        "strategy": "word",
        "max_chunk_size": 250,
        "overlap": 100,
    }
    assert Endpoint.from_es({**stored, "task_type": "rerank"}).chunking_settings is None
