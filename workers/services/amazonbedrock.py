"""amazonbedrock: ``InvokeModel`` on bedrock-runtime, signed with botocore's SigV4 signer.

Reference §g does not cover Bedrock; this follows AWS's InvokeModel API reference:
``POST https://bedrock-runtime.<region>.amazonaws.com/model/<model>/invoke``, the body being the
model provider's own format. ``text_embedding`` providers:

* ``amazontitan``: ``{"inputText": t}`` → ``{"embedding": [...]}``; one text per call (batch 1).
* ``cohere``: ``{"texts": [...], "input_type": "search_document"}`` → ``{"embeddings": ...}``;
  batch 96.

Secrets ``access_key``, ``secret_key`` (and optional ``session_token``); service_settings
``region``, ``model``, ``provider``. Retried: 429 (ThrottlingException), 500, 503
(ServiceUnavailable), as the AWS SDKs do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pipeline.errors import PermanentServiceError
from workers.services.base import EmbeddingCall
from workers.services.cohere import INPUT_TYPES
from workers.services.http import HttpAdapter, HttpRequest
from workers.services.responses import as_vector, as_vectors

SIGNING_NAME = "bedrock"


class AmazonBedrockAdapter(HttpAdapter):
    """Titan or Cohere embedding models on Bedrock (see module docstring)."""

    service: ClassVar[str] = "amazonbedrock"
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429, 500, 503})
    error_paths = (("message",), ("Message",), ("error", "message"))

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """1 for amazontitan (one ``inputText`` per call), 96 for cohere."""
        return 96 if service_settings.get("provider") == "cohere" else 1

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """(region, model, access_key): one account's quota for one model in one region."""
        s = service_settings
        return f"{s.get('region')}|{s.get('model')}|{secrets.get('access_key')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """The provider's body, signed with SigV4 over the exact bytes sent."""
        s = call.service_settings
        provider = s.get("provider")
        if provider == "cohere":
            input_type = INPUT_TYPES.get(call.input_type, "search_document")
            body: dict[str, Any] = {"texts": list(call.texts), "input_type": input_type}
            if call.task_settings.get("truncate"):
                body["truncate"] = call.task_settings["truncate"]
        elif provider == "amazontitan":
            if len(call.texts) != 1:
                raise PermanentServiceError(
                    f"amazontitan embeds one input per request, got [{len(call.texts)}] for "
                    f"inference entity id [{call.inference_id}]",
                    service=self.service,
                    inference_id=call.inference_id,
                )
            body = {"inputText": call.texts[0]}
        else:
            raise PermanentServiceError(
                f"The [{self.service}] service does not support text_embedding with provider "
                f"[{provider}]",
                service=self.service,
                inference_id=call.inference_id,
            )
        region = str(s["region"])
        # Model ids contain ':' (amazon.titan-embed-text-v2:0); AWS wants the path segment
        # encoded, and SigV4 then encodes it once more in the canonical request, as boto3 does.
        url = self.options.rebase(
            f"https://bedrock-runtime.{region}.amazonaws.com/model/"
            f"{quote(str(s['model']), safe='')}/invoke"
        )
        content = json.dumps(body).encode()
        aws = AWSRequest(
            method="POST",
            url=url,
            data=content,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        credentials = Credentials(
            call.secrets["access_key"],
            call.secrets["secret_key"],
            call.secrets.get("session_token"),
        )
        SigV4Auth(credentials, SIGNING_NAME, region).add_auth(aws)
        return HttpRequest(url=url, content=content, headers=dict(aws.headers.items()))

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """Titan: ``embedding``; Cohere: ``embeddings`` (array, or keyed by type)."""
        if call.service_settings.get("provider") == "amazontitan":
            return [as_vector(body["embedding"])]
        embeddings = body["embeddings"]
        if isinstance(embeddings, dict):
            embeddings = embeddings["float"]
        return as_vectors(embeddings)
