"""cohere: ``POST /v2/embed`` (``/v1/embed`` for ``api_version: v1`` endpoints), reference §g."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest
from workers.services.responses import as_vectors

BASE_URL = "https://api.cohere.ai"
# Elasticsearch input types → Cohere's.
INPUT_TYPES = {
    "ingest": "search_document",
    "internal_ingest": "search_document",
    "search": "search_query",
    "internal_search": "search_query",
    "classification": "classification",
    "clustering": "clustering",
}
# service_settings.embedding_type → Cohere's embedding_types entry.
EMBEDDING_TYPES = {"float": "float", "byte": "int8", "int8": "int8", "bit": "binary"}
EMBEDDING_TYPES["binary"] = "binary"


class CohereAdapter(HttpAdapter):
    """``{"texts", "model", "input_type", "embedding_types", "truncate"?}`` → ``embeddings``.

    Batch 96.

    A 413 is resent as is (no truncation); a 400 about the texts array size is permanent.
    """

    service: ClassVar[str] = "cohere"
    error_paths = (("message",), ("error", "message"), ("error",))
    bad_request_categories = (
        (
            "invalid request: total number of texts must be at most",
            "Received a texts array too large response",
        ),
    )

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """96 inputs per request (reference §d)."""
        return 96

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """The api key (reference §e.3)."""
        return str(secrets.get("api_key"))

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """The request input type wins over ``task_settings.input_type``."""
        settings, tasks = call.service_settings, call.task_settings
        input_type = INPUT_TYPES.get(call.input_type) or INPUT_TYPES.get(
            tasks.get("input_type", "")
        )
        kind = EMBEDDING_TYPES.get(str(settings.get("embedding_type", "float")), "float")
        body: dict[str, Any] = {"texts": list(call.texts), "embedding_types": [kind]}
        if settings.get("model_id"):
            body["model"] = settings["model_id"]
        if input_type:
            body["input_type"] = input_type
        if tasks.get("truncate"):
            body["truncate"] = tasks["truncate"]
        version = "v1" if settings.get("api_version") == "v1" else "v2"
        return HttpRequest(
            url=self.options.rebase(f"{BASE_URL}/{version}/embed"),
            json=body,
            headers={
                "Authorization": f"Bearer {call.secrets['api_key']}",
                "Request-Source": "unspecified:elasticsearch",
            },
        )

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """``embeddings`` as an array, or keyed by type (the first of float/int8/binary found)."""
        embeddings = body["embeddings"]
        if isinstance(embeddings, dict):
            for kind in ("float", "int8", "binary"):
                if kind in embeddings:
                    return as_vectors(embeddings[kind])
            raise ValueError("no supported embedding type in the Cohere response")
        return as_vectors(embeddings)
