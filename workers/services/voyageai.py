"""voyageai: ``POST https://api.voyageai.com/v1/embeddings``, reference §g."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest, user_dimensions
from workers.services.openai import data_vectors

URL = "https://api.voyageai.com/v1/embeddings"
# Inputs per request by model (reference §d); unknown models get the smallest, 7.
BATCH_SIZES = {"voyage-3-lite": 30, "voyage-3": 10, "voyage-2": 72, "voyage-02": 72}
DEFAULT_BATCH_SIZE = 7
INPUT_TYPES = {"ingest": "document", "internal_ingest": "document", "search": "query"}
INPUT_TYPES["internal_search"] = "query"
OUTPUT_DTYPES = {"float": "float", "int8": "int8", "bit": "binary"}


class VoyageAiAdapter(HttpAdapter):
    """``{"input", "model", "input_type"?, "truncation"?, "output_dimension"?}`` → ``data[]``."""

    service: ClassVar[str] = "voyageai"
    error_paths = (("detail",), ("error", "message"), ("error",), ("message",))
    status_categories: ClassVar[Mapping[int, str]] = {402: "Payment required"}

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """Per model (reference §d)."""
        return BATCH_SIZES.get(str(service_settings.get("model_id")), DEFAULT_BATCH_SIZE)

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """(model_id, api_key) — reference §e.3 marks this hedged."""
        return f"{service_settings.get('model_id')}|{secrets.get('api_key')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """The request input type wins over ``task_settings.input_type``."""
        settings, tasks = call.service_settings, call.task_settings
        body: dict[str, Any] = {"input": list(call.texts), "model": settings["model_id"]}
        input_type = INPUT_TYPES.get(call.input_type) or INPUT_TYPES.get(
            tasks.get("input_type", "")
        )
        if input_type:
            body["input_type"] = input_type
        if tasks.get("truncation") is not None:
            body["truncation"] = tasks["truncation"]
        if user_dimensions(settings) is not None:
            body["output_dimension"] = user_dimensions(settings)
        if settings.get("embedding_type"):
            body["output_dtype"] = OUTPUT_DTYPES.get(settings["embedding_type"], "float")
        return HttpRequest(
            url=self.options.rebase(URL),
            json=body,
            headers={"Authorization": f"Bearer {call.secrets['api_key']}"},
        )

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """``data[].embedding`` in array order."""
        return data_vectors(body)
