"""alibabacloud-ai-search: OpenSearch text embedding at the endpoint's host, reference §g."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest
from workers.services.responses import field_vectors

INPUT_TYPES = {"ingest": "document", "internal_ingest": "document", "search": "query"}
INPUT_TYPES["internal_search"] = "query"


class AlibabaCloudAdapter(HttpAdapter):
    """``{"input", "input_type"?}`` → ``result.embeddings[].embedding``; batch 32.

    Only 429 is retried: every 5xx is permanent (reference §f.3); 413 is resent as is.
    """

    service: ClassVar[str] = "alibabacloud-ai-search"
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429})
    error_paths = (("message",), ("error", "message"), ("code",))

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """32 inputs per request (reference §d)."""
        return 32

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """(service_id, api_key) — reference §e.3 marks this hedged."""
        return f"{service_settings.get('service_id')}|{secrets.get('api_key')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """``<http_schema>://<host>/v3/openapi/workspaces/<workspace>/text-embedding/<service_id>``."""
        s = call.service_settings
        schema = s.get("http_schema") or "https"
        url = (
            f"{schema}://{s['host']}/v3/openapi/workspaces/{s['workspace']}"
            f"/text-embedding/{s['service_id']}"
        )
        body: dict[str, Any] = {"input": list(call.texts)}
        tasks = call.task_settings
        input_type = INPUT_TYPES.get(call.input_type) or INPUT_TYPES.get(
            tasks.get("input_type", "")
        )
        if input_type:
            body["input_type"] = input_type
        return HttpRequest(
            url=self.options.rebase(url),
            json=body,
            headers={"Authorization": f"Bearer {call.secrets['api_key']}"},
        )

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """``result.embeddings[].embedding`` in array order."""
        return field_vectors(body["result"]["embeddings"], "embedding")
