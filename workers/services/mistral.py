"""mistral: ``POST https://api.mistral.ai/v1/embeddings``, reference §g."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest
from workers.services.openai import REDUCE_PROMPT, data_vectors

URL = "https://api.mistral.ai/v1/embeddings"


class MistralAdapter(HttpAdapter):
    """``{"model", "input", "encoding_format": "float"}`` → ``data[].embedding``; batch 96."""

    service: ClassVar[str] = "mistral"
    truncates_on_413: ClassVar[bool] = True
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429, 500, 503})
    too_large_marker: ClassVar[str | None] = REDUCE_PROMPT

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """96 inputs per request (reference §d, [main])."""
        return 96

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """The api key (the embeddings request manager's grouping, reference §e.3)."""
        return str(secrets.get("api_key"))

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """Bearer auth; the model is ``service_settings.model``."""
        body = {
            "model": call.service_settings["model"],
            "input": list(call.texts),
            "encoding_format": "float",
        }
        return HttpRequest(
            url=self.options.rebase(URL),
            json=body,
            headers={"Authorization": f"Bearer {call.secrets['api_key']}"},
        )

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """OpenAI-style ``data[].embedding``."""
        return data_vectors(body)
