"""One contract case per adapter: settings, secrets, the request expected, the §f.3 retry table.

Adding an adapter = adding one entry to :data:`CASES` (a test fails while one is missing).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import RateLimitedError, ServerError, TransientServiceError

CANARY = "sk-CANARY-7f3a9c1e5b"
TEXTS = ("alpha one", "beta two", "gamma three")
RL, SE = RateLimitedError, ServerError
# Statuses every HTTP adapter is exercised with.
STATUSES = (301, 400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504)

BodyCheck = Callable[[Any, tuple[str, ...]], None]


@dataclass(frozen=True)
class Case:
    """What one adapter must send and how its failures are classified.

    Attributes:
        settings: service_settings.
        secrets: secrets (every value contains the canary).
        url: the exact URL the request goes to.
        header: a (name, expected value prefix) pair the request must carry.
        body: checks the JSON body of a request for ``texts``.
        retried: reference §f.3 — status → transient class; every other status is permanent
            (413 is always ContentTooLargeError).
        texts: the texts of one call (batch-size-1 services get one).
    """

    settings: Mapping[str, Any]
    secrets: Mapping[str, str]
    url: str
    header: tuple[str, str]
    body: BodyCheck
    retried: Mapping[int, type[TransientServiceError]]
    texts: tuple[str, ...] = TEXTS
    task_settings: Mapping[str, Any] = field(default_factory=dict)


def _keys(expected: Mapping[str, Any], texts_key: str) -> BodyCheck:
    def check(body: Any, texts: tuple[str, ...]) -> None:
        assert body[texts_key] == list(texts)
        for key, value in expected.items():
            assert body[key] == value, key

    return check


def _google(body: Any, texts: tuple[str, ...]) -> None:
    assert [r["content"]["parts"][0]["text"] for r in body["requests"]] == list(texts)
    assert {r["model"] for r in body["requests"]} == {"models/text-embedding-004"}
    assert {r["taskType"] for r in body["requests"]} == {"RETRIEVAL_DOCUMENT"}


def _vertex(body: Any, texts: tuple[str, ...]) -> None:
    assert body["instances"] == [{"content": t, "task_type": "RETRIEVAL_DOCUMENT"} for t in texts]


def _titan(body: Any, texts: tuple[str, ...]) -> None:
    assert body == {"inputText": texts[0]}


SA_JSON = json.dumps({"type": "service_account", "private_key_id": CANARY})
WATSONX = {"url": "https://us-south.ml.cloud.ibm.com", "api_version": "2024-05-01"}
WATSONX |= {"model_id": "ibm/slate-30m-english-rtrvr", "project_id": "proj"}
ALIBABA = {"host": "x.platform-cn-shanghai.opensearch.aliyuncs.com", "workspace": "default"}
ALIBABA |= {"service_id": "ops-text-embedding-001"}
BEDROCK = {"provider": "amazontitan", "model": "amazon.titan-embed-text-v2:0"}
BEDROCK |= {"region": "us-east-1"}
KEY = {"api_key": CANARY}
BEARER = ("Authorization", f"Bearer {CANARY}")
OPENAI_FAMILY = {429: RL, 500: SE, 503: SE}

CASES: dict[str, Case] = {
    "alibabacloud-ai-search": Case(
        ALIBABA,
        KEY,
        "https://x.platform-cn-shanghai.opensearch.aliyuncs.com/v3/openapi/workspaces/default"
        "/text-embedding/ops-text-embedding-001",
        BEARER,
        _keys({"input_type": "document"}, "input"),
        {429: RL},
    ),
    "amazonbedrock": Case(
        BEDROCK,
        {"access_key": f"AKIA{CANARY}", "secret_key": CANARY},
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke",
        ("Authorization", f"AWS4-HMAC-SHA256 Credential=AKIA{CANARY}/"),
        _titan,
        {429: RL, 500: SE, 503: SE},
        texts=TEXTS[:1],
    ),
    "azureaistudio": Case(
        {"target": "https://m.eastus.models.ai.azure.com", "provider": "cohere"}
        | {"endpoint_type": "token"},
        KEY,
        "https://m.eastus.models.ai.azure.com/v1/embeddings",
        ("Authorization", CANARY),
        _keys({}, "input"),
        OPENAI_FAMILY,
    ),
    "azureopenai": Case(
        {"resource_name": "res", "deployment_id": "dep", "api_version": "2024-02-01"},
        KEY,
        "https://res.openai.azure.com/openai/deployments/dep/embeddings?api-version=2024-02-01",
        ("api-key", CANARY),
        _keys({}, "input"),
        OPENAI_FAMILY,
    ),
    "cohere": Case(
        {"model_id": "embed-english-v3.0"},
        KEY,
        "https://api.cohere.ai/v2/embed",
        BEARER,
        _keys(
            {
                "model": "embed-english-v3.0",
                "input_type": "search_document",
                "embedding_types": ["float"],
            },
            "texts",
        ),
        {429: RL, 500: SE},
    ),
    "googleaistudio": Case(
        {"model_id": "text-embedding-004"},
        KEY,
        f"https://generativelanguage.googleapis.com/v1/models/text-embedding-004:batchEmbedContents?key={CANARY}",
        ("Content-Type", "application/json"),
        _google,
        OPENAI_FAMILY,
    ),
    "googlevertexai": Case(
        {"project_id": "proj", "location": "us-central1", "model_id": "text-embedding-005"},
        {"service_account_json": SA_JSON},
        "https://us-central1-aiplatform.googleapis.com/v1/projects/proj/locations/us-central1"
        "/publishers/google/models/text-embedding-005:predict",
        ("Authorization", "Bearer mock-google-"),
        _vertex,
        OPENAI_FAMILY,
    ),
    "hugging_face": Case(
        {"url": "https://abc.us-east-1.aws.endpoints.huggingface.cloud"},
        KEY,
        "https://abc.us-east-1.aws.endpoints.huggingface.cloud",
        BEARER,
        _keys({}, "inputs"),
        {429: RL, 502: RL, 503: RL},
    ),
    "jinaai": Case(
        {"model_id": "jina-embeddings-v3"},
        KEY,
        "https://api.jina.ai/v1/embeddings",
        BEARER,
        _keys({"model": "jina-embeddings-v3", "task": "retrieval.passage"}, "input"),
        {429: RL, 500: SE},
    ),
    "mistral": Case(
        {"model": "mistral-embed"},
        KEY,
        "https://api.mistral.ai/v1/embeddings",
        BEARER,
        _keys({"model": "mistral-embed", "encoding_format": "float"}, "input"),
        OPENAI_FAMILY,
    ),
    "openai": Case(
        {"model_id": "text-embedding-3-small"},
        KEY,
        "https://api.openai.com/v1/embeddings",
        BEARER,
        _keys({"model": "text-embedding-3-small"}, "input"),
        OPENAI_FAMILY,
    ),
    "voyageai": Case(
        {"model_id": "voyage-3"},
        KEY,
        "https://api.voyageai.com/v1/embeddings",
        BEARER,
        _keys({"model": "voyage-3", "input_type": "document"}, "input"),
        {429: RL, 500: SE},
    ),
    "watsonxai": Case(
        WATSONX,
        KEY,
        "https://us-south.ml.cloud.ibm.com/ml/v1/text/embeddings?version=2024-05-01",
        ("Authorization", "Bearer mock-iam-"),
        _keys({"model_id": "ibm/slate-30m-english-rtrvr", "project_id": "proj"}, "inputs"),
        {500: SE},
    ),
}
