"""Per-service quirks the contract test does not pin, and the shared parsing helpers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from pipeline.errors import (
    ContentTooLargeError,
    PermanentServiceError,
    RateLimitedError,
    UnknownServiceError,
)
from tests.unit.services.cases import CANARY, CASES
from tests.unit.services.fake_provider import FakeProvider
from workers.services import EmbeddingCall, get_adapter
from workers.services.http import HttpRequest
from workers.services.responses import error_message, retry_after_s


def _run(service: str, settings: Mapping[str, Any], fake: FakeProvider, **kw: Any) -> Any:
    call = EmbeddingCall(
        inference_id="ep",
        task_type="text_embedding",
        service_settings=settings,
        task_settings=kw.pop("task_settings", {}),
        secrets=kw.pop("secrets", {"api_key": CANARY}),
        texts=kw.pop("texts", ("one", "two")),
        input_type=kw.pop("input_type", "ingest"),
    )
    adapter = kw.pop("adapter", None) or get_adapter(service)

    async def run() -> Any:
        async with fake.client() as client:
            return await adapter.embed(call, client)

    return asyncio.run(run())


def _body(fake: FakeProvider) -> Any:
    return json.loads(fake.embedding_requests[-1].content)


def test_unknown_service_is_a_configuration_error() -> None:
    """get_adapter names the unknown service with our configuration error."""
    with pytest.raises(UnknownServiceError, match=r"Unknown service \[nope\]"):
        get_adapter("nope")


def test_openai_reduce_prompt_400_is_content_too_large() -> None:
    """OpenAI's 400 'Please reduce your prompt' is handled like 413 (truncate and retry)."""
    body = b'{"error":{"message":"Please reduce your prompt; or completion length."}}'
    with pytest.raises(ContentTooLargeError):
        _run("openai", CASES["openai"].settings, FakeProvider(status=400, body=body))


def test_openai_sends_organization_user_and_chosen_dimensions() -> None:
    """Organization header, task_settings.user and user-set dimensions reach OpenAI."""
    fake = FakeProvider()
    settings = {"model_id": "m", "organization_id": "org-1", "dimensions": 256}
    _run("openai", settings, fake, task_settings={"user": "u1"})
    assert fake.embedding_requests[0].headers["OpenAI-Organization"] == "org-1"
    assert _body(fake) == {"input": ["one", "two"], "model": "m", "user": "u1", "dimensions": 256}


def test_cohere_texts_array_too_large_is_permanent() -> None:
    """Cohere's 'total number of texts' 400 gets its own category and is not retried."""
    body = b'{"message":"invalid request: total number of texts must be at most 96 - received 97"}'
    with pytest.raises(PermanentServiceError, match="Received a texts array too large response"):
        _run("cohere", {"model_id": "m"}, FakeProvider(status=400, body=body))


def test_cohere_v1_and_search_input_type() -> None:
    """Legacy endpoints call /v1/embed; a search call sends search_query."""
    fake = FakeProvider()
    _run("cohere", {"model_id": "m", "api_version": "v1"}, fake, input_type="search")
    assert fake.embedding_requests[0].url.path == "/v1/embed"
    assert _body(fake)["input_type"] == "search_query"


def test_hugging_face_accepts_the_embeddings_object_and_reports_503_as_rate_limit() -> None:
    """{"embeddings": [...]} is parsed; 503 (endpoint waking up) is a retried rate limit."""
    ok = FakeProvider(body=b'{"embeddings": [[1, 0], [0, 1]]}')
    assert _run("hugging_face", {"url": "https://h"}, ok) == [[1.0, 0.0], [0.0, 1.0]]
    with pytest.raises(RateLimitedError, match="Received a rate limit status code"):
        _run("hugging_face", {"url": "https://h"}, FakeProvider(status=503, body=b"{}"))


def test_googleaistudio_key_never_printed_in_404() -> None:
    """The key rides in the query string, and a 404 message prints the URL without it."""
    fake = FakeProvider(status=404, body=b'{"error":{"message":"no such model"}}')
    with pytest.raises(PermanentServiceError) as info:
        _run("googleaistudio", {"model_id": "m"}, fake)
    assert "Resource not found at [https://generativelanguage" in str(info.value)
    assert CANARY not in str(info.value)
    assert "key=" not in str(info.value)


def test_azureopenai_prefers_entra_id_and_needs_a_credential() -> None:
    """Entra id → Bearer; no credential at all → Elasticsearch's message."""
    settings = CASES["azureopenai"].settings
    fake = FakeProvider()
    _run("azureopenai", settings, fake, secrets={"api_key": "k", "entra_id": CANARY})
    assert fake.embedding_requests[0].headers["Authorization"] == f"Bearer {CANARY}"
    assert "api-key" not in fake.embedding_requests[0].headers
    with pytest.raises(PermanentServiceError, match="One of \\[api_key\\] or \\[entra_id\\]"):
        _run("azureopenai", settings, FakeProvider(), secrets={})


@pytest.mark.parametrize(
    ("provider", "endpoint_type", "header", "value"),
    [
        ("openai", "token", "api-key", CANARY),
        ("mistral", "realtime", "Authorization", f"Bearer {CANARY}"),
        ("cohere", "token", "Authorization", CANARY),
    ],
)
def test_azureaistudio_auth_header(
    provider: str, endpoint_type: str, header: str, value: str
) -> None:
    """The auth header follows provider and endpoint type; a target with a route is kept."""
    fake = FakeProvider()
    target = "https://x.openai.azure.com/openai/deployments/d/embeddings?api-version=1"
    settings = {"target": target, "provider": provider, "endpoint_type": endpoint_type}
    _run("azureaistudio", settings, fake)
    assert fake.embedding_requests[0].headers[header] == value
    assert str(fake.embedding_requests[0].url) == target


def test_watsonx_caches_the_iam_token() -> None:
    """Two calls with one api key fetch one IAM token (deviation from ES, documented)."""
    fake, adapter = FakeProvider(), get_adapter("watsonxai")
    for _ in range(2):
        _run("watsonxai", CASES["watsonxai"].settings, fake, adapter=adapter)
    paths = [r.url.path for r in fake.requests]
    assert paths.count("/identity/token") == 1
    assert paths.count("/ml/v1/text/embeddings") == 2


def test_watsonx_iam_failure_uses_the_bearer_token_wording() -> None:
    """An IAM error names the token request, with IAM's errorMessage, and no key."""

    def iam_down(request: httpx.Request) -> httpx.Response:
        body = {"errorCode": "BXNIM0415E", "errorMessage": f"Provided API key {CANARY} not found"}
        return httpx.Response(400, json=body)

    fake = FakeProvider()
    fake.handle = iam_down  # type: ignore[method-assign]
    with pytest.raises(PermanentServiceError) as info:
        _run("watsonxai", CASES["watsonxai"].settings, fake)
    assert "for request to generate Bearer Token from inference entity id [ep]" in str(info.value)
    assert "Provided API key [REDACTED] not found" in str(info.value)


def test_bedrock_cohere_batches_and_titan_takes_one() -> None:
    """Cohere on Bedrock sends texts with input_type; Titan refuses more than one text."""
    fake = FakeProvider()
    settings = {"provider": "cohere", "model": "cohere.embed-english-v3", "region": "eu-west-1"}
    secrets = {"access_key": "AKIA1", "secret_key": CANARY}
    assert len(_run("amazonbedrock", settings, fake, secrets=secrets)) == 2
    assert _body(fake) == {"texts": ["one", "two"], "input_type": "search_document"}
    assert get_adapter("amazonbedrock").max_batch_size(settings) == 96
    titan = {**settings, "provider": "amazontitan"}
    assert get_adapter("amazonbedrock").max_batch_size(titan) == 1
    with pytest.raises(PermanentServiceError, match="one input per request"):
        _run("amazonbedrock", titan, FakeProvider(), secrets=secrets)


def test_voyage_batch_size_per_model() -> None:
    """Voyage batch sizes follow the model (reference §d); unknown models get 7."""
    adapter = get_adapter("voyageai")
    sizes = {m: adapter.max_batch_size({"model_id": m}) for m in ("voyage-3-lite", "x")}
    assert sizes == {"voyage-3-lite": 30, "x": 7}


def test_retry_after_forms() -> None:
    """retry-after-ms wins; HTTP-dates in the past give 0; garbage gives None."""
    assert retry_after_s(httpx.Headers({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    assert retry_after_s(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after_s(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after_s(httpx.Headers({})) is None


def test_error_message_paths() -> None:
    """Error-body parsers find strings, the first of a list, and nothing in other shapes."""
    assert error_message({"error": ["first", "second"]}, [("error",)]) == "first"
    assert error_message({"errors": [{"message": "m"}]}, [("errors", 0, "message")]) == "m"
    assert error_message({"error": {"code": 1}}, [("error", "message"), ("error",)]) is None


def test_request_repr_hides_credentials() -> None:
    """A logged HttpRequest shows neither headers nor a URL with a key in it."""
    request = HttpRequest(url=f"https://x?key={CANARY}", json={}, headers={"a": CANARY})
    assert CANARY not in repr(request)
