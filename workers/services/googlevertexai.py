"""googlevertexai: Vertex AI text embeddings with a service-account OAuth token, reference §g.

The token comes from google-auth (``service_account.Credentials``, scope ``cloud-platform``),
refreshed in a thread with google-auth's ``requests`` transport and the worker client's read
timeout. Credentials are cached per service-account JSON (by sha256); google-auth keeps the token
until shortly before it expires. ``AdapterOptions.base_url`` rebases the account's ``token_uri``.

Batch size 5: the instance limit Vertex documents for ``textembedding-gecko`` models; the
reference leaves it unverified.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from pipeline.errors import PermanentServiceError, ServiceConnectionError
from workers.services.base import EmbeddingCall
from workers.services.http import HttpAdapter, HttpRequest
from workers.services.options import AdapterOptions
from workers.services.responses import as_vector

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a password)
TASK_TYPES = {"ingest": "RETRIEVAL_DOCUMENT", "internal_ingest": "RETRIEVAL_DOCUMENT"}
TASK_TYPES |= {"search": "RETRIEVAL_QUERY", "internal_search": "RETRIEVAL_QUERY"}
TASK_TYPES |= {"classification": "CLASSIFICATION", "clustering": "CLUSTERING"}


class _TimedRequest:
    """google-auth's ``requests`` transport with our timeout on every call (default: 120 s)."""

    def __init__(self, timeout_s: float) -> None:
        from google.auth.transport.requests import Request

        self._request = Request()
        self._timeout_s = timeout_s

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Any:
        kwargs["timeout"] = self._timeout_s
        return self._request(url, method=method, **kwargs)


class GoogleVertexAiAdapter(HttpAdapter):
    """``{"instances": [{"content", "task_type"}]}`` → ``predictions[].embeddings.values``."""

    service: ClassVar[str] = "googlevertexai"
    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429, 500, 503})

    def __init__(self, options: AdapterOptions | None = None) -> None:
        super().__init__(options)
        self._credentials: dict[str, Any] = {}

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """5 instances per request (see module docstring)."""
        return 5

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """The predict URI: project, location and model (reference §e.3)."""
        s = service_settings
        return f"{s.get('project_id')}|{s.get('location')}|{s.get('model_id')}"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """The ``:predict`` URL with a bearer token of the endpoint's service account."""
        s = call.service_settings
        location, project = quote(str(s["location"]), safe=""), quote(str(s["project_id"]), safe="")
        url = (
            f"https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/"
            f"{location}/publishers/google/models/{quote(str(s['model_id']), safe='')}:predict"
        )
        task_type = TASK_TYPES.get(call.input_type, "RETRIEVAL_DOCUMENT")
        body: dict[str, Any] = {
            "instances": [{"content": t, "task_type": task_type} for t in call.texts]
        }
        if call.task_settings.get("auto_truncate") is not None:
            body["parameters"] = {"autoTruncate": bool(call.task_settings["auto_truncate"])}
        token = await self.token(call, client)
        return HttpRequest(
            url=self.options.rebase(url), json=body, headers={"Authorization": f"Bearer {token}"}
        )

    async def token(self, call: EmbeddingCall, client: httpx.AsyncClient) -> str:
        """A valid access token for the call's service account (refreshed when needed)."""
        from google.auth import exceptions

        raw = call.secrets["service_account_json"]
        digest = hashlib.sha256(raw.encode()).hexdigest()
        credentials = self._credentials.get(digest) or self._load(call, raw)
        self._credentials[digest] = credentials
        if not credentials.valid:
            timeout_s = client.timeout.read or 30.0
            try:
                await asyncio.to_thread(credentials.refresh, _TimedRequest(timeout_s))
            except exceptions.TransportError as exc:
                raise ServiceConnectionError(
                    f"Failed to obtain an access token for inference entity id "
                    f"[{call.inference_id}]",
                    service=self.service,
                    inference_id=call.inference_id,
                ) from exc
            except exceptions.RefreshError as exc:
                raise PermanentServiceError(
                    f"Received an authentication error while obtaining an access token for "
                    f"inference entity id [{call.inference_id}]",
                    service=self.service,
                    inference_id=call.inference_id,
                ) from exc
        return str(credentials.token)

    def _load(self, call: EmbeddingCall, raw: str) -> Any:
        from google.oauth2 import service_account

        try:
            info = json.loads(raw)
            info["token_uri"] = self.options.rebase(info.get("token_uri") or TOKEN_URI)
            load = service_account.Credentials.from_service_account_info
            return load(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentServiceError(
                f"The service account JSON of inference entity id [{call.inference_id}] is "
                "not a valid Google service account key",
                service=self.service,
                inference_id=call.inference_id,
            ) from exc

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """``predictions[].embeddings.values`` in array order."""
        return [as_vector(p["embeddings"]["values"]) for p in body["predictions"]]
