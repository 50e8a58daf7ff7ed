"""The one error root of inferq, and its two subtrees.

::

    InferqError
    ├── ConfigurationError          a setting, name or body we cannot use (the caller's to fix)
    │   ├── ValidationError         an endpoint body or chunking settings, Elasticsearch's text
    │   ├── EndpointNotFoundError   unknown inference id (Elasticsearch: 404)
    │   ├── EndpointExistsError     PUT of an existing id (400 resource_already_exists_exception)
    │   └── UnknownServiceError     a service name no adapter or registry entry knows
    ├── InputError                  one input document we cannot embed (reported; the job goes on)
    ├── JobError                    a job id that does not exist, a job not finished in time, ...
    └── ServiceError                a provider call failed (service, status_code, inference_id)
        ├── TransientServiceError   worth retrying: 429, most 5xx, timeouts, connection resets
        │   ├── RateLimitedError    429, with ``retry_after_s`` when the provider said so
        │   ├── ServerError         5xx the service's policy retries
        │   ├── ServiceTimeoutError connect/read timeouts
        │   ├── ServiceConnectionError  connection refused/reset
        │   ├── ContentTooLargeError    413 (split the batch, or truncate a single input)
        │   └── MalformedResponseError  (workers.services.responses) an answer we cannot parse:
        │                               retried, as Elasticsearch retries parse failures (§f.2)
        └── PermanentServiceError   4xx, empty bodies, wrong vector counts: fail at once

Messages never contain secrets: adapters build them from status codes and provider error bodies,
never from request headers or URLs carrying keys.
"""

from __future__ import annotations


class InferqError(Exception):
    """Root of every error inferq raises on purpose."""


class ConfigurationError(InferqError):
    """A setting, a name or a body that cannot be used as given."""


class ValidationError(ConfigurationError):
    """An endpoint body or chunking settings rejected with Elasticsearch's error text.

    Attributes:
        messages: the individual messages, in the order Elasticsearch reports them.
        es_type: Elasticsearch's ``error.type`` (``validation_exception``,
            ``illegal_argument_exception``, ``action_request_validation_exception``, ...).
        status: the HTTP status Elasticsearch answers with (400).
    """

    def __init__(
        self,
        messages: str | list[str],
        *,
        es_type: str = "validation_exception",
        status: int = 400,
    ) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.es_type = es_type
        self.status = status
        super().__init__(self.reason)

    @property
    def reason(self) -> str:
        """Elasticsearch's ``reason``: ``Validation Failed: 1: a;2: b;`` for accumulated errors."""
        if self.es_type in ("validation_exception", "action_request_validation_exception"):
            numbered = "".join(f"{i}: {m};" for i, m in enumerate(self.messages, 1))
            return f"Validation Failed: {numbered}"
        return "; ".join(self.messages)

    def to_es(self) -> dict[str, object]:
        """The error as Elasticsearch's JSON body (``{"error": {...}, "status": 400}``)."""
        return {"error": {"type": self.es_type, "reason": self.reason}, "status": self.status}


class EndpointNotFoundError(ConfigurationError):
    """No inference endpoint has this id."""

    def __init__(self, inference_id: str) -> None:
        self.inference_id = inference_id
        super().__init__(f"Inference endpoint not found [{inference_id}]")


class EndpointExistsError(ConfigurationError):
    """PUT of an inference id that is already stored (PUT is never an upsert)."""

    def __init__(self, inference_id: str) -> None:
        self.inference_id = inference_id
        super().__init__(f"Inference endpoint [{inference_id}] already exists")


class UnknownServiceError(ConfigurationError):
    """A service name that no registry entry or adapter knows."""

    def __init__(self, service: str) -> None:
        self.service = service
        super().__init__(f"Unknown service [{service}]")


class InputError(InferqError):
    """One input document that cannot be embedded: reported, and the job goes on."""

    def __init__(self, message: str, *, error_type: str = "input_error") -> None:
        self.error_type = error_type
        super().__init__(message)


class JobError(InferqError):
    """A job that does not exist or cannot do what was asked."""


class ServiceError(InferqError):
    """A call to an embedding service failed.

    Attributes:
        service: the service name (``openai``, ``hugging_face``, ...).
        status_code: the provider's HTTP status, ``None`` when no answer came.
        inference_id: the endpoint the call was made for, when known.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status_code: int | None = None,
        inference_id: str | None = None,
    ) -> None:
        self.service = service
        self.status_code = status_code
        self.inference_id = inference_id
        super().__init__(message)

    @property
    def error_type(self) -> str:
        """A stable snake_case name for ledgers and metrics."""
        name = type(self).__name__.removesuffix("Error")
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


class TransientServiceError(ServiceError):
    """A failure worth retrying after a pause."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        service: str,
        status_code: int | None = None,
        inference_id: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(
            message, service=service, status_code=status_code, inference_id=inference_id
        )
        self.retry_after_s = retry_after_s


class RateLimitedError(TransientServiceError):
    """HTTP 429 (or a provider's equivalent); ``retry_after_s`` set when the provider said when."""


class ServerError(TransientServiceError):
    """A 5xx answer that the service's policy retries."""


class ServiceTimeoutError(TransientServiceError):
    """No answer within the configured timeout."""


class ServiceConnectionError(TransientServiceError):
    """The connection could not be made or was cut."""


class ContentTooLargeError(TransientServiceError):
    """HTTP 413: the batch is split in halves; a single input is truncated (reference §f.2)."""


class PermanentServiceError(ServiceError):
    """A failure that retrying cannot fix: 4xx, a bad answer, a wrong number of vectors."""
