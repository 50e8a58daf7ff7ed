"""azureopenai: a deployment of an Azure OpenAI resource, reference §g."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from pipeline.errors import PermanentServiceError
from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest
from workers.services.openai import REDUCE_PROMPT, data_vectors, openai_body


class AzureOpenAiAdapter(HttpAdapter):
    """``{"input", "user"?, "dimensions"?}`` → ``data[].embedding``; batch 2048.

    Auth: ``Authorization: Bearer <entra_id>`` when an Entra id is stored (preferred), else
    ``api-key: <api_key>``.
    """

    service: ClassVar[str] = "azureopenai"
    truncates_on_413: ClassVar[bool] = True
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429, 500, 503})
    too_large_marker: ClassVar[str | None] = REDUCE_PROMPT

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """2048 inputs per request (reference §d)."""
        return 2048

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """(resource_name, deployment_id) (reference §e.3, [main])."""
        return f"{service_settings.get('resource_name')}|{service_settings.get('deployment_id')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """``https://<resource>.openai.azure.com/openai/deployments/<d>/embeddings?api-version=``."""
        s, secrets = call.service_settings, call.secrets
        if secrets.get("entra_id"):
            headers = {"Authorization": f"Bearer {secrets['entra_id']}"}
        elif secrets.get("api_key"):
            headers = {"api-key": secrets["api_key"]}
        else:
            raise PermanentServiceError(
                "The request does not have any authentication methods set. One of [api_key] or "
                "[entra_id] is required.",
                service=self.service,
                inference_id=call.inference_id,
            )
        url = (
            f"https://{s['resource_name']}.openai.azure.com/openai/deployments/"
            f"{s['deployment_id']}/embeddings?{urlencode({'api-version': s['api_version']})}"
        )
        return HttpRequest(url=self.options.rebase(url), json=openai_body(call), headers=headers)

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """OpenAI-style ``data[].embedding``."""
        return data_vectors(body)
