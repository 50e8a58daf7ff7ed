"""Every request example of the five seeds is accepted and round-trips through ``to_es()``."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.endpoints import parse_endpoint

SENTENCE_DEFAULT = {"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 1}

# (seed, task_type, inference_id, body), verbatim from the seeds (callout markers removed).
SEED_EXAMPLES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "000",
        "text_embedding",
        "hugging-face-embeddings",
        {
            "service": "hugging_face",
            "service_settings": {"api_key": "hugging-face-access-token", "url": "url-endpoint"},
        },
    ),
    (
        "001",
        "text_embedding",
        "hugging-face-embeddings",
        {
            "service": "hugging_face",
            "service_settings": {"api_key": "<access_token>", "url": "<url_endpoint>"},
        },
    ),
    (
        "002",
        "sparse_embedding",
        "my-elser-model",
        {
            "service": "elser",
            "service_settings": {"num_allocations": 1, "num_threads": 1},
            "task_settings": {},
        },
    ),
    (
        "002",
        "text_embedding",
        "openai_embeddings",
        {
            "service": "openai",
            "service_settings": {"api_key": ""},
            "task_settings": {"model": "text-embedding-ada-002"},
        },
    ),
    (
        "002",
        "text_embedding",
        "hugging-face-embeddings",
        {"service": "hugging_face", "service_settings": {"api_key": "", "url": ""}},
    ),
    (
        "003",
        "sparse_embedding",
        "my-elser-model",
        {
            "service": "elasticsearch",
            "service_settings": {
                "adaptive_allocations": {
                    "enabled": True,
                    "min_number_of_allocations": 1,
                    "max_number_of_allocations": 4,
                },
                "num_threads": 1,
                "model_id": ".elser_model_2",
            },
        },
    ),
    (
        "003",
        "rerank",
        "my-elastic-rerank",
        {
            "service": "elasticsearch",
            "service_settings": {
                "model_id": ".rerank-v1",
                "num_threads": 1,
                "adaptive_allocations": {
                    "enabled": True,
                    "min_number_of_allocations": 1,
                    "max_number_of_allocations": 4,
                },
            },
        },
    ),
    (
        "003",
        "text_embedding",
        "my-e5-model",
        {
            "service": "elasticsearch",
            "service_settings": {
                "num_allocations": 1,
                "num_threads": 1,
                "model_id": ".multilingual-e5-small",
            },
        },
    ),
    (
        "003",
        "text_embedding",
        "my-msmarco-minilm-model",
        {
            "service": "elasticsearch",
            "service_settings": {
                "num_allocations": 1,
                "num_threads": 1,
                "model_id": "msmarco-MiniLM-L12-cos-v5",
            },
        },
    ),
    (
        "003",
        "text_embedding",
        "my-e5-model",
        {
            "service": "elasticsearch",
            "service_settings": {
                "adaptive_allocations": {
                    "enabled": True,
                    "min_number_of_allocations": 3,
                    "max_number_of_allocations": 10,
                },
                "num_threads": 1,
                "model_id": ".multilingual-e5-small",
            },
        },
    ),
    (
        "003",
        "sparse_embedding",
        "use_existing_deployment",
        {"service": "elasticsearch", "service_settings": {"deployment_id": ".elser_model_2"}},
    ),
    (
        "004",
        "rerank",
        "my-rerank-model",
        {
            "service": "cohere",
            "service_settings": {
                "model_id": "rerank-english-v3.0",
                "api_key": "{{COHERE_API_KEY}}",
            },
        },
    ),
]

SECRET_KEYS = {"api_key"}
IDS = [f"{seed}-{task}-{eid}" for seed, task, eid, _ in SEED_EXAMPLES]


@pytest.mark.parametrize(("seed", "task_type", "inference_id", "body"), SEED_EXAMPLES, ids=IDS)
def test_seed_example_is_accepted(
    seed: str, task_type: str, inference_id: str, body: dict[str, Any]
) -> None:
    """A seed's request example validates, keeping its id, task type and service."""
    endpoint, _ = parse_endpoint(task_type, inference_id, body)
    es = endpoint.to_es()
    assert (es["inference_id"], es["task_type"], es["service"]) == (
        inference_id,
        task_type,
        body["service"],
    )


@pytest.mark.parametrize(("seed", "task_type", "inference_id", "body"), SEED_EXAMPLES, ids=IDS)
def test_seed_example_round_trips(
    seed: str, task_type: str, inference_id: str, body: dict[str, Any]
) -> None:
    """to_es() keeps every public setting given, and PUTting it again yields the same endpoint."""
    endpoint, secrets = parse_endpoint(task_type, inference_id, body)
    es = endpoint.to_es()
    given = {k: v for k, v in body["service_settings"].items() if k not in SECRET_KEYS}
    assert given.items() <= es["service_settings"].items()
    assert dict(secrets) == {k: v for k, v in body["service_settings"].items() if k in SECRET_KEYS}
    again_body = {k: v for k, v in es.items() if k not in ("inference_id", "task_type")}
    again_body["service_settings"] = {**es["service_settings"], **dict(secrets)}
    again, _ = parse_endpoint(task_type, inference_id, again_body)
    assert again.to_es() == es


def test_seed_003_response_chunking_settings() -> None:
    """Seed 003's response example: no chunking_settings given -> the sentence default."""
    endpoint, _ = parse_endpoint(
        "sparse_embedding",
        "use_existing_deployment",
        {"service": "elasticsearch", "service_settings": {"deployment_id": ".elser_model_2"}},
    )
    assert endpoint.to_es()["chunking_settings"] == SENTENCE_DEFAULT


def test_seed_002_openai_legacy_model_moves_to_service_settings() -> None:
    """Seed 002's task_settings.model becomes service_settings.model_id, as ES does on PUT."""
    endpoint, _ = parse_endpoint(
        "text_embedding",
        "openai_embeddings",
        {
            "service": "openai",
            "service_settings": {"api_key": ""},
            "task_settings": {"model": "text-embedding-ada-002"},
        },
    )
    assert endpoint.service_settings["model_id"] == "text-embedding-ada-002"
    assert endpoint.task_settings == {}


def test_seed_000_response_shape() -> None:
    """Seed 000's example: PUT response holds url, the default rpm 3000 and no api_key."""
    endpoint, _ = parse_endpoint("text_embedding", "hugging-face-embeddings", SEED_EXAMPLES[0][3])
    assert endpoint.to_es() == {
        "inference_id": "hugging-face-embeddings",
        "task_type": "text_embedding",
        "service": "hugging_face",
        "service_settings": {
            "url": "url-endpoint",
            "rate_limit": {"requests_per_minute": 3000},
            "similarity": "cosine",
        },
        "chunking_settings": SENTENCE_DEFAULT,
    }
