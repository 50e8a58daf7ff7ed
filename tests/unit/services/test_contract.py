"""The adapter contract, run against every entry of ``ADAPTERS`` (reference §d, §f.3, §g)."""

from __future__ import annotations

import asyncio
import json
import math
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from pipeline.errors import (
    ContentTooLargeError,
    PermanentServiceError,
    RateLimitedError,
    ServiceConnectionError,
    ServiceError,
    ServiceTimeoutError,
    TransientServiceError,
)
from tests.unit.services.cases import CANARY, CASES, STATUSES, TEXTS, Case
from tests.unit.services.fake_provider import FakeProvider
from workers.services import ADAPTERS, EmbeddingCall, ServiceAdapter, get_adapter
from workers.services.googlevertexai import GoogleVertexAiAdapter
from workers.services.responses import MalformedResponseError

HTTP_SERVICES = sorted(CASES)
# One error body every service's parser finds a message in; it echoes the key, as some do.
ERROR_BODY = json.dumps(
    {
        "error": {"message": f"boom {CANARY}"},
        "message": f"boom {CANARY}",
        "detail": f"boom {CANARY}",
        "errors": [{"message": f"boom {CANARY}"}],
    }
).encode()


@pytest.fixture(autouse=True)
def _vertex_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests do not run google-auth's (requests-based) token refresh."""

    async def token(self: GoogleVertexAiAdapter, call: EmbeddingCall, client: Any) -> str:
        return "mock-google-unit"

    monkeypatch.setattr(GoogleVertexAiAdapter, "token", token)


@pytest.fixture(params=HTTP_SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    """Each HTTP service in turn."""
    return str(request.param)


def _call(case: Case, texts: tuple[str, ...] | None = None) -> EmbeddingCall:
    return EmbeddingCall(
        inference_id="my-endpoint",
        task_type="text_embedding",
        service_settings=case.settings,
        task_settings=case.task_settings,
        secrets=case.secrets,
        texts=case.texts if texts is None else texts,
    )


def _embed(service: str, fake: FakeProvider, **kw: Any) -> list[list[float]]:
    adapter = get_adapter(service, **kw)

    async def run() -> list[list[float]]:
        async with fake.client() as client:
            return await adapter.embed(_call(CASES[service]), client)

    return asyncio.run(run())


def _error(service: str, fake: FakeProvider) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        _embed(service, fake)
    err = info.value
    assert CANARY not in str(err)
    assert CANARY not in repr(err)
    assert err.service == service
    assert err.inference_id == "my-endpoint"
    return err


def test_every_adapter_has_a_case() -> None:
    """ADAPTERS and the contract cases list the same services (elasticsearch is in-process)."""
    assert set(ADAPTERS) == set(CASES) | {"elasticsearch"}


def test_adapters_satisfy_the_protocol(service: str) -> None:
    """Class attributes and the batch size are those of the protocol."""
    adapter: ServiceAdapter = get_adapter(service)
    assert adapter.service == service
    assert adapter.uses_http
    assert isinstance(adapter.retryable_statuses, frozenset)
    assert adapter.max_batch_size(CASES[service].settings) >= len(CASES[service].texts)
    assert adapter.rate_limit_group(CASES[service].settings, CASES[service].secrets)
    assert CANARY not in repr(adapter)


def test_returns_one_vector_per_text_in_order(service: str) -> None:
    """The provider's answer becomes one vector per text, in input order."""
    from ops.mock_provider.vectors import vector_for

    vectors = _embed(service, FakeProvider())
    assert vectors == [vector_for(t) for t in CASES[service].texts]


def test_request_has_the_wire_format(service: str) -> None:
    """Method, URL, auth header and body shape are the service's (reference §g)."""
    case, fake = CASES[service], FakeProvider()
    _embed(service, fake)
    (request,) = fake.embedding_requests
    assert request.method == "POST"
    assert str(request.url) == case.url
    name, prefix = case.header
    assert request.headers[name].startswith(prefix)
    case.body(json.loads(request.content), case.texts)


def test_base_url_replaces_the_origin_only(service: str) -> None:
    """With base_url every call goes to that origin, keeping the service's path and query."""
    case, fake = CASES[service], FakeProvider()
    _embed(service, fake, base_url="http://127.0.0.1:9")
    expected = httpx.URL(case.url)
    for request in fake.requests:
        assert (request.url.scheme, request.url.host, request.url.port) == ("http", "127.0.0.1", 9)
    (request,) = fake.embedding_requests
    assert (request.url.raw_path, request.url.query) == (expected.raw_path, expected.query)


@pytest.mark.parametrize(
    "retry_after", ["7", "http-date"], ids=["retry-after-seconds", "retry-after-date"]
)
def test_429_carries_retry_after(service: str, retry_after: str) -> None:
    """429 → RateLimitedError with retry_after_s (watsonx: permanent, as in Elasticsearch)."""
    import time

    value = formatdate(time.time() + 30, usegmt=True) if retry_after == "http-date" else "7"
    fake = FakeProvider(status=429, body=ERROR_BODY, headers={"Retry-After": value})
    err = _error(service, fake)
    assert "Received a rate limit status code for request from inference entity id" in str(err)
    assert "status [429]" in str(err)
    if 429 not in CASES[service].retried:
        assert type(err) is PermanentServiceError
        return
    assert isinstance(err, RateLimitedError)
    assert err.retry_after_s is not None
    expected = 7.0 if retry_after == "7" else 30.0
    assert math.isclose(err.retry_after_s, expected, abs_tol=2.0)


@pytest.mark.parametrize("status", STATUSES)
def test_status_maps_to_the_policy_class(service: str, status: int) -> None:
    """Each status becomes the class of reference §f.3, with ES's message and no secret."""
    err = _error(service, FakeProvider(status=status, body=ERROR_BODY))
    expected = CASES[service].retried.get(status)
    if status == 413:
        expected = ContentTooLargeError
    assert type(err) is (expected or PermanentServiceError)
    assert err.status_code == status
    assert f"from inference entity id [my-endpoint] status [{status}]" in str(err)
    assert str(err).endswith("Error message: [boom [REDACTED]]")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", PermanentServiceError),
        (b"<html>oops</html>", MalformedResponseError),
        (b'{"unexpected": true}', MalformedResponseError),
    ],
    ids=["empty", "not-json", "wrong-shape"],
)
def test_bad_answers_fail_cleanly(service: str, body: bytes, error: type[ServiceError]) -> None:
    """Empty bodies are permanent; unparsable answers are retried, as in Elasticsearch."""
    err = _error(service, FakeProvider(status=200, body=body))
    assert type(err) is error
    assert isinstance(err, TransientServiceError) == (error is MalformedResponseError)


def test_wrong_vector_count_is_permanent(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer with one vector too many fails with Elasticsearch's §d.5 text."""
    case = CASES[service]
    adapter = get_adapter(service)
    real_parse = adapter.parse  # type: ignore[attr-defined]
    monkeypatch.setattr(adapter, "parse", lambda body, call: [*real_parse(body, call), [0.0]])

    async def run() -> None:
        async with FakeProvider().client() as client:
            await adapter.embed(_call(case), client)

    with pytest.raises(PermanentServiceError) as info:
        asyncio.run(run())
    n = len(case.texts)
    assert str(info.value) == (
        f"Error the number of embedding responses [{n + 1}] does not equal the number of "
        f"requests [{n}]"
    )


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (httpx.ReadTimeout, ServiceTimeoutError),
        (httpx.ConnectTimeout, ServiceTimeoutError),
        (httpx.ConnectError, ServiceConnectionError),
        (httpx.RemoteProtocolError, ServiceConnectionError),
    ],
)
def test_transport_errors_are_transient(
    service: str, exc: type[httpx.TransportError], error: type[ServiceError]
) -> None:
    """httpx timeouts and connection failures become our transient types, chained."""
    fake = FakeProvider(raise_exc=lambda request: exc(f"failed {request.url}", request=request))
    err = _error(service, fake)
    assert type(err) is error
    assert isinstance(err.__cause__, exc)


def test_texts_fixture_is_distinct() -> None:
    """The contract's texts differ, so an order mistake cannot go unnoticed."""
    assert len(set(TEXTS)) == len(TEXTS)
