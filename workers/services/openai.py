"""openai: ``POST /v1/embeddings`` (or the endpoint's ``url``), reference §g."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest, user_dimensions
from workers.services.responses import field_vectors

DEFAULT_URL = "https://api.openai.com/v1/embeddings"
# A 400 carrying this text means "input too long" and is handled like a 413 (reference §f.3).
REDUCE_PROMPT = "Please reduce your prompt; or completion length."


def openai_body(call: EmbeddingCall, **extra: Any) -> dict[str, Any]:
    """The OpenAI-style body shared with azureopenai and azureaistudio.

    ``dimensions`` is sent when the user chose it (:func:`user_dimensions`); ``user`` comes
    from ``task_settings``.
    """
    body: dict[str, Any] = {"input": list(call.texts), **extra}
    if call.task_settings.get("user"):
        body["user"] = call.task_settings["user"]
    dims = user_dimensions(call.service_settings)
    if dims is not None:
        body["dimensions"] = dims
    return body


def data_vectors(body: Any) -> list[list[float]]:
    """``data[].embedding`` in array order."""
    if not isinstance(body, dict) or "data" not in body:
        raise ValueError("Failed to find required field [data] in embeddings response")
    return field_vectors(body["data"], "embedding")


class OpenAiAdapter(HttpAdapter):
    """``{"input", "model", "user"?, "dimensions"?}`` → ``data[].embedding``; batch 2048."""

    service: ClassVar[str] = "openai"
    truncates_on_413: ClassVar[bool] = True
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429, 500, 503})
    too_large_marker: ClassVar[str | None] = REDUCE_PROMPT
    status_categories: ClassVar[Mapping[int, str]] = {
        503: "Received a server busy error status code",
        422: "Received an input validation error response",
    }

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """2048 inputs per request (reference §d)."""
        return 2048

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """(url or the default URL, organization_id, api_key) + model_id (reference §e.3)."""
        url = service_settings.get("url") or DEFAULT_URL
        org = service_settings.get("organization_id")
        return f"{url}|{org}|{secrets.get('api_key')}|{service_settings.get('model_id')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """Bearer auth, ``OpenAI-Organization`` when set."""
        headers = {"Authorization": f"Bearer {call.secrets['api_key']}"}
        if call.service_settings.get("organization_id"):
            headers["OpenAI-Organization"] = str(call.service_settings["organization_id"])
        url = str(call.service_settings.get("url") or DEFAULT_URL)
        body = openai_body(call, model=call.service_settings["model_id"])
        return HttpRequest(url=self.options.rebase(url), json=body, headers=headers)

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """``data[].embedding`` (floats; base64 is never requested)."""
        return data_vectors(body)
