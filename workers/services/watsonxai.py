"""watsonxai: IBM watsonx.ai text embeddings with an IAM bearer token, reference §g.

Deviation from Elasticsearch, which fetches a fresh IAM token before *every* request: tokens are
cached per api key (by its sha256) until a minute before they expire, so a busy worker does not
double its request count against IAM. The IAM URL is :data:`IAM_URL`; ``AdapterOptions.base_url``
rebases it like every other URL.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx

from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest
from workers.services.options import AdapterOptions
from workers.services.responses import field_vectors

IAM_URL = "https://iam.cloud.ibm.com/identity/token"
IAM_GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
# Refresh this long before the token's stated expiry.
TOKEN_MARGIN_S = 60.0
# Used when IAM states no lifetime (its tokens live 3600 s).
DEFAULT_TOKEN_TTL_S = 1200.0


class WatsonxAiAdapter(HttpAdapter):
    """``{"inputs", "model_id", "project_id"}`` → ``results[].embedding``; batch 1000.

    Only 500 is retried: 429 and 503 are permanent for watsonx in Elasticsearch (§f.3).
    """

    service: ClassVar[str] = "watsonxai"
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({500})
    error_paths = (
        ("errors", 0, "message"),
        ("errorMessage",),
        ("error", "message"),
        ("error",),
        ("message",),
    )

    def __init__(self, options: AdapterOptions | None = None) -> None:
        super().__init__(options)
        # sha256(api_key) -> (token, monotonic expiry); the key itself is never a dict key.
        self._tokens: dict[str, tuple[str, float]] = {}

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """1000 inputs per request (reference §d)."""
        return 1000

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """The request URI (url, api_version) plus model and project (reference §e.3)."""
        s = service_settings
        return f"{s.get('url')}|{s.get('api_version')}|{s.get('model_id')}|{s.get('project_id')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """``<url>/ml/v1/text/embeddings?version=<api_version>`` with a cached IAM token."""
        s = call.service_settings
        token = await self.token(call, client)
        base = str(s["url"]).rstrip("/")
        if "://" not in base:
            base = f"https://{base}"
        query = urlencode({"version": s["api_version"]})
        return HttpRequest(
            url=self.options.rebase(f"{base}/ml/v1/text/embeddings?{query}"),
            json={
                "inputs": list(call.texts),
                "model_id": s["model_id"],
                "project_id": s["project_id"],
            },
            headers={"Authorization": f"Bearer {token}"},
        )

    async def token(self, call: EmbeddingCall, client: httpx.AsyncClient) -> str:
        """A valid IAM access token for the call's api key (cached; see module docstring)."""
        api_key = call.secrets["api_key"]
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        cached = self._tokens.get(digest)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        request = HttpRequest(
            url=self.options.rebase(IAM_URL),
            form={"grant_type": IAM_GRANT_TYPE, "apikey": api_key},
            headers={"Accept": "application/json"},
        )
        body = await self.send(call, client, request, what="request to generate Bearer Token")
        try:
            token = str(body["access_token"])
            ttl = float(body.get("expires_in", DEFAULT_TOKEN_TTL_S))
        except (KeyError, TypeError, ValueError) as exc:
            raise self.malformed(call, "no access_token in the IAM response") from exc
        self._tokens[digest] = (token, time.monotonic() + max(0.0, ttl - TOKEN_MARGIN_S))
        return token

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """``results[].embedding`` in array order."""
        return field_vectors(body["results"], "embedding")
