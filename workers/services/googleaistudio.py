"""googleaistudio: ``:batchEmbedContents`` with the api key in the query string, reference §g.

The key travels in the URL as Elasticsearch sends it; :class:`~workers.services.http.HttpAdapter`
never prints a URL's query, and the key is scrubbed from every message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest, user_dimensions
from workers.services.responses import field_vectors

BASE_URL = "https://generativelanguage.googleapis.com"
TASK_TYPES = {"ingest": "RETRIEVAL_DOCUMENT", "internal_ingest": "RETRIEVAL_DOCUMENT"}
TASK_TYPES |= {"search": "RETRIEVAL_QUERY", "internal_search": "RETRIEVAL_QUERY"}
TASK_TYPES |= {"classification": "CLASSIFICATION", "clustering": "CLUSTERING"}


class GoogleAiStudioAdapter(HttpAdapter):
    """``{"requests": [{"model", "content": {"parts": [{"text"}]}}]}`` → ``embeddings[].values``.

    Batch 100. 503 is retried with Elasticsearch's "overloaded" wording.
    """

    service: ClassVar[str] = "googleaistudio"
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429, 500, 503})
    status_categories: ClassVar[Mapping[int, str]] = {
        503: "The Google AI Studio service may be temporarily overloaded or down"
    }

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """100 inputs per request (reference §d)."""
        return 100

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """The model id (reference §e.3)."""
        return str(service_settings.get("model_id"))

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """One request entry per text, with the task type of the call's input type."""
        settings = call.service_settings
        model = str(settings["model_id"])
        extra: dict[str, Any] = {}
        if TASK_TYPES.get(call.input_type):
            extra["taskType"] = TASK_TYPES[call.input_type]
        if user_dimensions(settings) is not None:
            extra["outputDimensionality"] = user_dimensions(settings)
        requests = [
            {"model": f"models/{model}", "content": {"parts": [{"text": t}]}, **extra}
            for t in call.texts
        ]
        query = urlencode({"key": call.secrets["api_key"]})
        url = f"{BASE_URL}/v1/models/{quote(model, safe='')}:batchEmbedContents?{query}"
        return HttpRequest(url=self.options.rebase(url), json={"requests": requests})

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """``embeddings[].values`` in array order."""
        return field_vectors(body["embeddings"], "values")
