"""The HTTP machinery every provider adapter shares: :class:`HttpAdapter`.

A service module says what differs (URL, headers, body, response shape, retryable statuses,
error-body paths); :meth:`HttpAdapter.embed` sends the request with the worker's client, turns
``httpx`` exceptions and non-2xx statuses into :mod:`pipeline.errors` types with Elasticsearch's
message wording (reference §f.3), and checks the vector count. Messages never carry secrets: every
secret value of the call is scrubbed from provider text, and URLs are printed without their query.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from pipeline.errors import (
    PermanentServiceError,
    ServiceConnectionError,
    ServiceError,
    ServiceTimeoutError,
    TransientServiceError,
)
from workers.services.base import EmbeddingCall, Gate
from workers.services.options import AdapterOptions
from workers.services.responses import (
    ErrorPath,
    MalformedResponseError,
    check_count,
    error_message,
    retry_after_s,
)
from workers.services.statuses import StatusPolicy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpRequest:
    """One ``POST`` as an adapter builds it: a JSON body, raw bytes (signed) or a form.

    Attributes:
        url: the absolute URL (may carry a key in its query: never print it whole).
        json: the JSON body (``Content-Type: application/json`` is added).
        content: raw body bytes, sent exactly (SigV4 signs them); headers must be complete.
        form: a form-encoded body (the watsonx IAM token request).
        headers: extra headers; excluded from ``repr`` because they carry credentials.
    """

    url: str = field(repr=False)
    json: Any = field(default=None, repr=False)
    content: bytes | None = field(default=None, repr=False)
    form: Mapping[str, str] | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


# httpcore's trace events around writing a request's head (HTTP/1.1 and HTTP/2).
_OPENING = ("http11.send_request_headers.started", "http2.send_request_headers.started")
_SENT = ("http11.send_request_headers.complete", "http2.send_request_headers.complete")


class GateTrace:
    """An httpcore ``trace`` extension that opens a :class:`Gate` as the request leaves.

    httpx encodes the body and httpcore takes a pooled (or new) connection before the head is
    written, so nothing but the socket writes lies between ``gate.opening`` and the provider,
    and ``gate.sent`` follows the head's write. A gate that raises aborts the request before
    any byte is sent. Each hook runs once: should httpcore move the request to another
    connection before sending (a pooled connection that closed meanwhile), it takes no second
    token.
    """

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        self.opened = False
        self.sent = False

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event in _OPENING and not self.opened:
            self.opened = True
            await self.gate.opening()
        elif event in _SENT and self.opened and not self.sent:
            self.sent = True
            await self.gate.sent()


def user_dimensions(service_settings: Mapping[str, Any]) -> Any:
    """``dimensions`` to send to the provider, or ``None``.

    Elasticsearch sends it only when the user chose it (its internal ``dimensions_set_by_user``);
    our registry stores ``dimensions`` only when the user gave it, so it is sent unless the flag
    is present and false.
    """
    if service_settings.get("dimensions_set_by_user", True):
        return service_settings.get("dimensions")
    return None


def _secret_strings(secrets: Mapping[str, str]) -> list[str]:
    """Every secret value, plus the string fields of JSON secrets (a service account's key id)."""
    values = list(secrets.values())
    for value in secrets.values():
        if value.lstrip().startswith("{"):
            try:
                parsed = json.loads(value)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                values += [v for v in parsed.values() if isinstance(v, str) and len(v) >= 8]
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with every secret value (4+ characters) replaced by ``[REDACTED]``."""
    for value in _secret_strings(secrets):
        if len(value) >= 4:
            text = text.replace(value, "[REDACTED]")
    return text


class HttpAdapter(StatusPolicy):
    """Base of every HTTP adapter; subclasses implement :meth:`build` and :meth:`parse`.

    Attributes:
        error_paths: where the service's error body keeps its message (reference §f.3).
    """

    service: ClassVar[str]
    uses_http: ClassVar[bool] = True
    truncates_on_413: ClassVar[bool] = False
    error_paths: ClassVar[tuple[ErrorPath, ...]] = (("error", "message"), ("error",), ("message",))

    def __init__(self, options: AdapterOptions | None = None) -> None:
        self.options = options or AdapterOptions()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.options.base_url!r})"

    async def build(self, call: EmbeddingCall, client: httpx.AsyncClient) -> HttpRequest:
        """The request for ``call`` (async: some services fetch a token first)."""
        raise NotImplementedError

    def parse(self, body: Any, call: EmbeddingCall) -> list[list[float]]:
        """The vectors of a 2xx body; raises ``ValueError``, ``KeyError``... when malformed."""
        raise NotImplementedError

    async def embed(
        self, call: EmbeddingCall, client: httpx.AsyncClient, *, gate: Gate | None = None
    ) -> list[list[float]]:
        """Send one request and return one vector per text, in input order (see the protocol)."""
        request = await self.build(call, client)
        body = await self.send(call, client, request, gate=gate)
        try:
            vectors = self.parse(body, call)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise self.malformed(call, detail) from exc
        return check_count(
            vectors, len(call.texts), service=self.service, inference_id=call.inference_id
        )

    def malformed(self, call: EmbeddingCall, detail: str) -> MalformedResponseError:
        """The (retryable) error for a 2xx answer that is not the expected format."""
        return MalformedResponseError(
            f"Failed to parse the response for request from inference entity id "
            f"[{call.inference_id}]: {redact(detail, call.secrets)}",
            service=self.service,
            status_code=200,
            inference_id=call.inference_id,
        )

    async def send(
        self,
        call: EmbeddingCall,
        client: httpx.AsyncClient,
        request: HttpRequest,
        *,
        what: str = "request",
        gate: Gate | None = None,
    ) -> Any:
        """POST ``request`` and return its decoded JSON body, or raise our error types.

        Args:
            call: the call (for ids and the secrets to scrub).
            client: the worker's client; it carries the timeout.
            request: URL, headers and JSON body.
            what: ``request`` or ``request to generate Bearer Token`` (watsonx IAM wording).
            gate: opened right before the first byte is written (see :class:`GateTrace`).
        """
        trace = None if gate is None else GateTrace(gate)
        extensions = {} if trace is None else {"trace": trace}
        try:
            if request.form is not None:
                response = await client.post(
                    request.url,
                    data=dict(request.form),
                    headers=dict(request.headers),
                    extensions=extensions,
                )
            elif request.content is not None:
                response = await client.post(
                    request.url,
                    content=request.content,
                    headers=dict(request.headers),
                    extensions=extensions,
                )
            else:
                headers = {"Content-Type": "application/json", **request.headers}
                response = await client.post(
                    request.url, json=request.json, headers=headers, extensions=extensions
                )
        except httpx.TimeoutException as exc:
            raise ServiceTimeoutError(
                f"Request timed out for {what} from inference entity id [{call.inference_id}]",
                service=self.service,
                inference_id=call.inference_id,
            ) from exc
        except httpx.TransportError as exc:
            raise ServiceConnectionError(
                f"Failed to send {what} from inference entity id [{call.inference_id}]: "
                f"{type(exc).__name__}",
                service=self.service,
                inference_id=call.inference_id,
            ) from exc
        if trace is not None and not trace.opened:
            # A transport that emits no httpcore trace events (not the worker's own client)
            # sent without asking: confirm now, so the group's record and spacing stay right.
            logger.warning("http.gate_not_traced service=%s", self.service)
            await trace.gate.opening()
        return self.decode(call, request.url, response, what=what)

    def decode(self, call: EmbeddingCall, url: str, response: httpx.Response, *, what: str) -> Any:
        """The JSON body of a 2xx ``response``; any other status raises (reference §f.3)."""
        if not response.is_success:
            raise self.status_error(call, url, response, what=what)
        if not response.content.strip():
            raise PermanentServiceError(
                f"Response body was empty for request from inference entity id "
                f"[{call.inference_id}]",
                service=self.service,
                status_code=response.status_code,
                inference_id=call.inference_id,
            )
        try:
            return response.json()
        except ValueError as exc:
            raise self.malformed(call, "the body is not JSON") from exc

    def status_error(
        self, call: EmbeddingCall, url: str, response: httpx.Response, *, what: str
    ) -> ServiceError:
        """The error for a non-2xx answer, classified by this service's policy."""
        status = response.status_code
        try:
            message = error_message(response.json(), self.error_paths)
        except ValueError:
            message = None
        cls, category = self.classify(status, message or "", url)
        text = (
            f"{category} for {what} from inference entity id [{call.inference_id}] "
            f"status [{status}]"
        )
        if message:
            text += f". Error message: [{message}]"
        text = redact(text, call.secrets)
        logger.info(
            "services.request_failed",
            extra={"service": self.service, "status": status, "error_type": cls.__name__},
        )
        if issubclass(cls, TransientServiceError):
            return cls(
                text,
                service=self.service,
                status_code=status,
                inference_id=call.inference_id,
                retry_after_s=retry_after_s(response.headers),
            )
        return cls(text, service=self.service, status_code=status, inference_id=call.inference_id)
