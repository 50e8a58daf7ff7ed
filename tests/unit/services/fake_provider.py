"""An ``httpx.MockTransport`` that answers in every provider's format (the mock provider's).

It reuses the pure parts of :mod:`ops.mock_provider` (routes and deterministic vectors), so unit
tests need no server and no network; ``status``/``body`` override the embedding answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from ops.mock_provider.formats import BadRequestError, Request, find_route, token_reply
from ops.mock_provider.vectors import vector_for


class FakeProvider:
    """Records every request; answers tokens always, embeddings as configured."""

    def __init__(
        self,
        *,
        status: int = 200,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        raise_exc: Callable[[httpx.Request], Exception] | None = None,
    ) -> None:
        self.status, self.body, self.headers, self.raise_exc = status, body, headers, raise_exc
        self.requests: list[httpx.Request] = []

    @property
    def embedding_requests(self) -> list[httpx.Request]:
        """The requests that were not token requests."""
        return [r for r in self.requests if r.url.path not in ("/identity/token", "/token")]

    def client(self, timeout_s: float = 5.0) -> httpx.AsyncClient:
        """A client whose transport is this fake."""
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle), timeout=timeout_s)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The MockTransport handler."""
        self.requests.append(request)
        req = Request(
            request.method,
            request.url.path,
            dict(request.url.params),
            {k.lower(): v for k, v in request.headers.items()},
            request.read(),
        )
        token = token_reply(req)
        if token is not None:
            return httpx.Response(token.status, json=token.body)
        if self.raise_exc is not None:
            raise self.raise_exc(request)
        if self.status != 200 or self.body is not None:
            return httpx.Response(self.status, content=self.body or b"", headers=self.headers)
        route = find_route(req.path)
        try:
            texts = route.parse(req)
        except BadRequestError as exc:
            return httpx.Response(exc.status, json=route.error(exc.status, str(exc)))
        answer: Any = route.reply(texts, [vector_for(t) for t in texts], req)
        return httpx.Response(200, content=json.dumps(answer).encode())
