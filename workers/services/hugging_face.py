"""hugging_face: Inference Endpoints at the user's ``service_settings.url`` (reference §g)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest
from workers.services.responses import as_vectors


class HuggingFaceAdapter(HttpAdapter):
    """``{"inputs": [...]}`` → ``[[...]]`` or ``{"embeddings": [[...]]}``; batch 20.

    429, 502 and 503 are retried and all reported as rate limiting (a scaled-to-zero endpoint
    answers 503 while it wakes up); a 413 truncates a single input.
    """

    service: ClassVar[str] = "hugging_face"
    truncates_on_413: ClassVar[bool] = True
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429, 502, 503})
    rate_limit_statuses: ClassVar[frozenset[int]] = frozenset({429, 502, 503})

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """20 inputs per request (reference §d)."""
        return 20

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """(url, api_key) (reference §e.3)."""
        return f"{service_settings.get('url')}|{secrets.get('api_key')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """POST the texts to the endpoint URL with a bearer token."""
        return HttpRequest(
            url=self.options.rebase(str(call.service_settings["url"])),
            json={"inputs": list(call.texts)},
            headers={"Authorization": f"Bearer {call.secrets['api_key']}"},
        )

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """A top-level array of vectors, or an object with an ``embeddings`` array."""
        if isinstance(body, dict):
            if "embeddings" not in body:
                raise ValueError(
                    "Failed to find required field [embeddings] in Hugging Face embeddings response"
                )
            body = body["embeddings"]
        return as_vectors(body)
