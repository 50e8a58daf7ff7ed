"""Which error a non-2xx status becomes, per service: :class:`StatusPolicy` (reference §f.3).

Elasticsearch's response handlers decide per status whether to retry and which category text to
print; a service module states its differences as class attributes of its adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from pipeline.errors import (
    ContentTooLargeError,
    PermanentServiceError,
    RateLimitedError,
    ServerError,
    ServiceError,
)

_CATEGORIES = {
    400: "Received a bad request status code",
    401: "Received an authentication error status code",
    403: "Received a permission denied error status code",
    405: "Received a method not allowed status code",
    413: "Received a content too large status code",
    429: "Received a rate limit status code",
}


def strip_query(url: str) -> str:
    """The URL without query and fragment (googleaistudio puts the api key in the query)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class StatusPolicy:
    """A service's status policy; the defaults are Elasticsearch's common handler.

    Attributes:
        retryable_statuses: statuses retried (429 and 500 unless the service says otherwise).
        rate_limit_statuses: retryable statuses reported as rate limiting (429; hugging_face
            also 502 and 503).
        too_large_marker: a 400 whose message contains this is treated as 413 (OpenAI family).
        bad_request_categories: (substring, category) pairs naming special 400 answers.
        status_categories: service-specific category texts by status.
    """

    retryable_statuses: ClassVar[frozenset[int]] = frozenset({429, 500})
    rate_limit_statuses: ClassVar[frozenset[int]] = frozenset({429})
    too_large_marker: ClassVar[str | None] = None
    bad_request_categories: ClassVar[tuple[tuple[str, str], ...]] = ()
    status_categories: ClassVar[Mapping[int, str]] = {}

    def classify(self, status: int, message: str, url: str) -> tuple[type[ServiceError], str]:
        """The error class and ES category text for ``status`` under this service's policy."""
        special = self.status_categories.get(status)
        if status == 413 or (
            status == 400 and self.too_large_marker and self.too_large_marker in message
        ):
            return ContentTooLargeError, _CATEGORIES[413]
        if status in self.retryable_statuses:
            if status in self.rate_limit_statuses:
                return RateLimitedError, _CATEGORIES[429]
            return ServerError, special or "Received a server error status code"
        if status >= 500:
            return PermanentServiceError, special or "Received a server error status code"
        if status == 400:
            for marker, category in self.bad_request_categories:
                if marker in message:
                    return PermanentServiceError, category
        if 300 <= status < 400:
            return PermanentServiceError, "Unhandled redirection"
        if status == 404:
            return PermanentServiceError, special or f"Resource not found at [{strip_query(url)}]"
        return PermanentServiceError, special or _CATEGORIES.get(
            status, "Received an unsuccessful status code"
        )
