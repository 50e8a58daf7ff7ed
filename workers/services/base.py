"""What every service adapter is: the :class:`ServiceAdapter` protocol and the call it receives.

An adapter turns one :class:`EmbeddingCall` (a batch of texts for one endpoint) into one provider
request and the provider's answer into vectors, in input order. It translates ``httpx`` errors and
provider error bodies into :mod:`pipeline.errors` types; nothing above ``workers/services/`` sees an
``httpx`` exception. Adapters do not retry and do not rate-limit: the embed worker takes a token
before every attempt (confirmed through the adapter's ``gate`` as the request leaves) and asks
:mod:`workers.retry` what to do with a failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import httpx


@dataclass(frozen=True)
class EmbeddingCall:
    """One provider request: the endpoint's settings, its secrets, and the texts of one batch.

    Attributes:
        inference_id: the endpoint's id (for error messages).
        task_type: ``text_embedding`` for the ingestion path.
        service_settings: the stored, validated ``service_settings`` (no secrets).
        task_settings: the stored ``task_settings``.
        secrets: ``api_key`` and the like, read from the registry inside the worker. Excluded
            from ``repr`` so that a logged or raised call cannot leak them.
        texts: the chunk texts, in order; the answer must have one vector per text.
        input_type: Elasticsearch's input type (``ingest`` for ingestion, ``search``, ...).
    """

    inference_id: str
    task_type: str
    service_settings: Mapping[str, Any]
    task_settings: Mapping[str, Any]
    secrets: Mapping[str, str] = field(repr=False)
    texts: Sequence[str]
    input_type: str = "ingest"


class Gate(Protocol):
    """Hooks around a request leaving: the rate limiter's send confirmation."""

    async def opening(self) -> None:
        """Awaited once, right before the request's first byte is written."""
        ...

    async def sent(self) -> None:
        """Awaited once, when the request's head is written."""
        ...


class ServiceAdapter(Protocol):
    """One embedding service.

    Attributes:
        service: the service name as in the PUT body (``hugging_face``, ``openai``, ...).
        uses_http: False for in-process models (the ``elasticsearch`` service), which take no
            rate-limit token.
        truncates_on_413: whether a single input rejected with 413 is resent truncated to half
            its length (reference §f.2); services without truncation resend it as is.
        retryable_statuses: HTTP statuses the service's policy retries (reference §f.3).
    """

    service: ClassVar[str]
    uses_http: ClassVar[bool]
    truncates_on_413: ClassVar[bool]
    retryable_statuses: ClassVar[frozenset[int]]

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """Inputs per provider request (reference §d), e.g. 20 for hugging_face."""
        ...

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """The grouping material of reference §e.3; endpoints with equal material share a bucket.

        The result may contain secrets: callers hash it before it goes anywhere.
        """
        ...

    async def embed(
        self, call: EmbeddingCall, client: httpx.AsyncClient, *, gate: Gate | None = None
    ) -> list[list[float]]:
        """Send one request and return one vector per text, in input order.

        ``gate.opening`` is awaited at the last moment before the request's first byte is
        written (built, encoded, connection ready) and ``gate.sent`` once its head is written:
        the rate limiter confirms the send and records when it left, so the provider sees
        requests spaced as the limiter spaced them.

        Raises:
            pipeline.errors.TransientServiceError: 429, retryable 5xx, timeouts, connection
                errors, 413 (as ContentTooLargeError); ``retry_after_s`` set from
                ``Retry-After`` / ``retry-after-ms`` when the provider sent one.
            pipeline.errors.PermanentServiceError: anything retrying cannot fix.
        """
        ...
