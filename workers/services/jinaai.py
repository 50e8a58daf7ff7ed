"""jinaai: ``POST https://api.jina.ai/v1/embeddings``, reference §g."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest, user_dimensions
from workers.services.openai import data_vectors

URL = "https://api.jina.ai/v1/embeddings"
TASKS = {"ingest": "retrieval.passage", "internal_ingest": "retrieval.passage"}
TASKS |= {"search": "retrieval.query", "internal_search": "retrieval.query"}
TASKS |= {"classification": "classification", "clustering": "separation"}
# Late chunking is switched off above this many words per request (ES counts ICU words; a
# whitespace split is close enough for the guard).
LATE_CHUNKING_MAX_WORDS = 5500


class JinaAiAdapter(HttpAdapter):
    """``{"input", "model", "embedding_type", "task"?, "late_chunking"?}`` → ``data[]``.

    Batch 2048.
    """

    service: ClassVar[str] = "jinaai"
    error_paths = (("detail",), ("error", "message"), ("error",), ("message",))
    bad_request_categories = (
        ("is larger than the largest allowed size", "Received an inputs array too large response"),
    )

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """2048 inputs per request (reference §d)."""
        return 2048

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """(model_id, api_key) — reference §e.3 marks this hedged."""
        return f"{service_settings.get('model_id')}|{secrets.get('api_key')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """Bearer auth plus ``Request-Source``; the request input type picks the task."""
        settings, tasks = call.service_settings, call.task_settings
        body: dict[str, Any] = {
            "input": list(call.texts),
            "model": settings["model_id"],
            "embedding_type": settings.get("embedding_type", "float"),
        }
        task = TASKS.get(call.input_type) or tasks.get("task")
        if task:
            body["task"] = task
        if tasks.get("late_chunking") is not None:
            words = sum(len(t.split()) for t in call.texts)
            body["late_chunking"] = (
                bool(tasks["late_chunking"]) and words <= LATE_CHUNKING_MAX_WORDS
            )
        if user_dimensions(settings) is not None:
            body["dimensions"] = user_dimensions(settings)
        return HttpRequest(
            url=self.options.rebase(URL),
            json=body,
            headers={
                "Authorization": f"Bearer {call.secrets['api_key']}",
                "Request-Source": "unspecified:elasticsearch",
            },
        )

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """``data[].embedding`` in array order."""
        return data_vectors(body)
