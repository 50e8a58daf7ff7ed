"""Every adapter against the real mock provider over loopback HTTP; pacing and fault injection."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from ops.mock_provider import MockConfig, running, vector_for
from pipeline.errors import (
    ContentTooLargeError,
    PermanentServiceError,
    RateLimitedError,
    ServerError,
    ServiceTimeoutError,
)
from tests.unit.services.cases import CASES
from workers.services import EmbeddingCall, ServiceAdapter, get_adapter

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _service_account() -> str:
    """A service-account JSON with a fresh RSA key (google-auth signs its JWT with it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {"type": "service_account", "project_id": "proj", "private_key_id": "kid-1"}
    info |= {"private_key": pem, "client_email": "sa@proj.iam.gserviceaccount.com"}
    return json.dumps(info | {"client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"})


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    """One mock provider for the module, on a free loopback port."""
    with running() as url:
        yield url


@pytest.fixture(autouse=True)
def _fresh(mock_url: str) -> None:
    """Default configuration and empty stats before each test."""
    httpx.post(f"{mock_url}/_config", json=asdict(MockConfig()), timeout=5).raise_for_status()
    httpx.post(f"{mock_url}/_reset", timeout=5).raise_for_status()


def _call(service: str, texts: tuple[str, ...] | None = None) -> EmbeddingCall:
    case = CASES[service]
    secrets = dict(case.secrets)
    if service == "googlevertexai":
        secrets = {"service_account_json": _service_account()}
    return EmbeddingCall("ep", "text_embedding", case.settings, {}, secrets, texts or case.texts)


async def _embed_many(
    adapter: ServiceAdapter, calls: list[EmbeddingCall], timeout_s: float = 5.0
) -> list[Any]:
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        jobs = [adapter.embed(c, client) for c in calls]
        return await asyncio.gather(*jobs, return_exceptions=True)


def _one(service: str, url: str, timeout_s: float = 5.0) -> Any:
    adapter = get_adapter(service, base_url=url)
    return asyncio.run(_embed_many(adapter, [_call(service)], timeout_s))[0]


def _configure(url: str, **changes: Any) -> None:
    httpx.post(f"{url}/_config", json=changes, timeout=5).raise_for_status()


def _stats(url: str, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{url}/_stats", params=params, timeout=5)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize("service", sorted(CASES))
def test_every_adapter_speaks_to_the_mock(mock_url: str, service: str) -> None:
    """Real HTTP, real auth flows (IAM, Google OAuth, SigV4): each text gets its own vector."""
    result = _one(service, mock_url)
    assert result == [vector_for(t) for t in CASES[service].texts]
    assert _stats(mock_url)["by_outcome"]["ok"] == 1


def test_pacing_is_strict_and_says_when(mock_url: str) -> None:
    """At 60 rpm a burst gets one acceptance; the rest are 429 with a usable retry_after_s."""
    _configure(mock_url, rpm=60)
    adapter = get_adapter("openai", base_url=mock_url)
    results = asyncio.run(_embed_many(adapter, [_call("openai")] * 8))
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 7
    assert all(isinstance(e, RateLimitedError) for e in errors)
    waits = [e.retry_after_s for e in errors if isinstance(e, RateLimitedError)]
    assert all(w is not None and 0 < w <= 1.0 for w in waits)
    stats = _stats(mock_url, timestamps=1)
    assert stats["by_outcome"] == {"ok": 1, "paced": 7}
    assert stats["max_accepted_in_window"] == 1
    assert stats["max_seen_in_window"] == 8
    assert len(stats["accepted_timestamps"]) == 1


def test_paced_requests_pass_after_retry_after(mock_url: str) -> None:
    """Waiting the advertised time always gets the next request accepted."""
    _configure(mock_url, rpm=1200)
    accepted = 0
    for _ in range(5):
        result = _one("cohere", mock_url)
        if isinstance(result, RateLimitedError):
            assert result.retry_after_s is not None
            asyncio.run(asyncio.sleep(result.retry_after_s))
            result = _one("cohere", mock_url)
        assert isinstance(result, list)
        accepted += 1
    assert accepted == 5
    assert _stats(mock_url)["max_accepted_in_window"] == 1


def test_outage_on_and_off(mock_url: str) -> None:
    """fail_5xx=1 is an outage classified per service; turning it off heals it."""
    _configure(mock_url, fail_5xx=1.0, status_5xx=503)
    assert isinstance(_one("openai", mock_url), ServerError)
    assert type(_one("watsonxai", mock_url)) is PermanentServiceError  # 503 is final for watsonx
    _configure(mock_url, fail_5xx=0.0)
    assert isinstance(_one("openai", mock_url), list)
    assert _stats(mock_url)["by_outcome"]["injected_5xx"] == 2


def test_injected_429_carries_configured_retry_after(mock_url: str) -> None:
    """An injected 429 sends Retry-After: retry_after_s."""
    _configure(mock_url, fail_429=1.0, retry_after_s=2)
    err = _one("mistral", mock_url)
    assert isinstance(err, RateLimitedError)
    assert err.retry_after_s == 2.0


def test_injected_timeout(mock_url: str) -> None:
    """A hanging provider becomes ServiceTimeoutError at the client's timeout."""
    _configure(mock_url, fail_timeout=1.0, hang_s=2)
    assert isinstance(_one("jinaai", mock_url, timeout_s=0.3), ServiceTimeoutError)


def test_content_too_large(mock_url: str) -> None:
    """Texts over max_input_chars and injected 413s both give ContentTooLargeError."""
    _configure(mock_url, max_input_chars=4)
    assert isinstance(_one("hugging_face", mock_url), ContentTooLargeError)
    _configure(mock_url, max_input_chars=0, fail_413=1.0)
    assert isinstance(_one("voyageai", mock_url), ContentTooLargeError)


def test_fault_rates_are_seeded(mock_url: str) -> None:
    """With a seed, a 30% 429 rate injects a reproducible share of failures."""
    _configure(mock_url, fail_429=0.3, seed=7)
    adapter = get_adapter("openai", base_url=mock_url)
    first = asyncio.run(_embed_many(adapter, [_call("openai")] * 40))
    _configure(mock_url, seed=7)
    second = asyncio.run(_embed_many(adapter, [_call("openai")] * 40))
    kinds = [[type(r).__name__ for r in rs] for rs in (first, second)]
    assert sorted(kinds[0]) == sorted(kinds[1])
    assert 4 <= kinds[0].count("RateLimitedError") <= 20


def test_vectors_follow_dims_and_seed(mock_url: str) -> None:
    """dims and seed change the vectors the way vector_for says."""
    _configure(mock_url, dims=8, seed=3)
    assert _one("openai", mock_url) == [vector_for(t, 8, 3) for t in CASES["openai"].texts]


def test_stats_log_and_control_errors(mock_url: str) -> None:
    """The log lists (t, path, status); window stats use limit_rpm; bad config is a 400."""
    for _ in range(3):
        _one("openai", mock_url)
    stats = _stats(mock_url, limit_rpm=60)
    assert [entry[1:] for entry in stats["log"]] == [["/v1/embeddings", 200]] * 3
    assert stats["by_path"] == {"/v1/embeddings": 3}
    assert stats["window_s"] == 1.0
    assert stats["max_seen_in_window"] == 3
    assert httpx.post(f"{mock_url}/_config", json={"nope": 1}, timeout=5).status_code == 400
    httpx.post(f"{mock_url}/_reset", timeout=5)
    assert _stats(mock_url)["requests"] == 0


def test_bad_requests_are_answered_in_the_provider_format(mock_url: str) -> None:
    """A request without credentials gets the provider's 401 body, parsed into our error."""
    response = httpx.post(f"{mock_url}/v2/embed", json={"texts": ["a"]}, timeout=5)
    assert response.status_code == 401
    assert "message" in response.json()
    iam = httpx.post(f"{mock_url}/identity/token", data={"grant_type": "x"}, timeout=5)
    assert iam.status_code == 400
    assert "errorMessage" in iam.json()


def test_command_line_starts_the_server() -> None:
    """`python -m ops.mock_provider --port 0` prints its URL and serves /_health."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ops.mock_provider", "--port", "0", "--rpm", "60"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert line["event"] == "mock_provider.listening"
        assert httpx.get(f"{line['url']}/_health", timeout=5).json() == {"status": "ok"}
        assert _stats(line["url"])["config"]["rpm"] == 60
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


class _RecordingGate:
    """A send gate that notes, at each hook, how many requests the provider had seen."""

    def __init__(self, url: str, fail: bool = False) -> None:
        self.url, self.fail = url, fail
        self.events: list[tuple[str, int]] = []

    async def _seen(self) -> int:
        async with httpx.AsyncClient() as client:
            stats = (await client.get(f"{self.url}/_stats", params={"log": 0})).json()
        return int(sum(stats["by_outcome"].values()))

    async def opening(self) -> None:
        self.events.append(("opening", await self._seen()))
        if self.fail:
            raise RuntimeError("token refused")

    async def sent(self) -> None:
        self.events.append(("sent", await self._seen()))


def test_the_gate_opens_once_before_the_request_leaves(mock_url: str) -> None:
    """``opening`` runs before the provider sees the request, ``sent`` after; each once."""
    adapter = get_adapter("hugging_face", base_url=mock_url)
    gates = [_RecordingGate(mock_url) for _ in range(3)]

    async def embed_all() -> list[Any]:
        async with httpx.AsyncClient(timeout=5) as client:  # one client: pooled connections
            return [await adapter.embed(_call("hugging_face"), client, gate=g) for g in gates]

    results = asyncio.run(embed_all())
    assert all(len(r) == len(CASES["hugging_face"].texts) for r in results)
    assert [g.events for g in gates] == [
        [("opening", 0), ("sent", 0)],  # head written; the mock answers once the body is read
        [("opening", 1), ("sent", 1)],
        [("opening", 2), ("sent", 2)],
    ]


def test_a_gate_that_raises_stops_the_request_before_any_byte(mock_url: str) -> None:
    """A refused token (the gate raises) means the provider never sees the request."""
    adapter = get_adapter("hugging_face", base_url=mock_url)
    gate = _RecordingGate(mock_url, fail=True)

    async def embed() -> Any:
        async with httpx.AsyncClient(timeout=5) as client:
            return await adapter.embed(_call("hugging_face"), client, gate=gate)

    with pytest.raises(RuntimeError, match="token refused"):
        asyncio.run(embed())
    assert gate.events == [("opening", 0)]
    assert _stats(mock_url)["by_outcome"] == {}
