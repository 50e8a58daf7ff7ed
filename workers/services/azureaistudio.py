"""azureaistudio: a model deployed in Azure AI Studio / AI Foundry at ``service_settings.target``.

The reference is thin here; decisions (Azure AI Model Inference API and Elasticsearch's docs):

* URL: ``target`` as given when its path already ends in ``/embeddings``, else
  ``<target>/v1/embeddings`` (the Azure AI Model Inference route of serverless deployments).
* Auth: the ``openai`` provider uses ``api-key: <key>``; other providers use
  ``Authorization: Bearer <key>`` on ``realtime`` (managed online) endpoints and
  ``Authorization: <key>`` on ``token`` (serverless, pay-as-you-go) endpoints.
* Body and response: OpenAI style (``input``, ``user``?, ``dimensions``?; ``data[].embedding``).
* Batch: 2048 for the openai provider (OpenAI's constant), 96 otherwise (Cohere's limit, the
  smallest of the providers served there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest
from workers.services.openai import REDUCE_PROMPT, data_vectors, openai_body


class AzureAiStudioAdapter(HttpAdapter):
    """OpenAI-style embeddings at the deployment's target URL (see module docstring)."""

    service: ClassVar[str] = "azureaistudio"
    truncates_on_413: ClassVar[bool] = True
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429, 500, 503})
    too_large_marker: ClassVar[str | None] = REDUCE_PROMPT

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """2048 for the openai provider, 96 for the others (see module docstring)."""
        return 2048 if service_settings.get("provider") == "openai" else 96

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """(target, provider, endpoint_type) — the deployment (reference §e.3: per uri)."""
        s = service_settings
        return f"{s.get('target')}|{s.get('provider')}|{s.get('endpoint_type')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """Target URL and the provider/endpoint-type auth header."""
        s, key = call.service_settings, call.secrets["api_key"]
        target = str(s["target"]).rstrip("/")
        has_route = urlsplit(target).path.rstrip("/").endswith("/embeddings")
        url = target if has_route else f"{target}/v1/embeddings"
        if s.get("provider") == "openai":
            headers = {"api-key": key}
        elif s.get("endpoint_type") == "realtime":
            headers = {"Authorization": f"Bearer {key}"}
        else:
            headers = {"Authorization": key}
        return HttpRequest(url=self.options.rebase(url), json=openai_body(call), headers=headers)

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """OpenAI-style ``data[].embedding``."""
        return data_vectors(body)
