"""Every adapter's wire format: where a request goes, how its texts are read, how we answer.

Each :class:`Route` matches a path, checks the request's auth and body shape the way the real
provider would (401/400 with the provider's error body), extracts the texts, and formats the
vectors as that provider does. Token endpoints (watsonx IAM, Google OAuth) answer directly.
The module is one table of every format, hence over 200 lines; splitting it per service would
scatter what a reader wants to compare.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Vectors = list[list[float]]


@dataclass(frozen=True)
class Request:
    """A parsed HTTP request (header names lower-cased).

    Attributes:
        received: when its head was read (``time.monotonic()``): the request's arrival, which
            pacing judges, whatever the body's size and the parsing after it.
    """

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    received: float = 0.0


@dataclass
class Reply:
    """A status, a JSON body and extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class BadRequestError(Exception):
    """The request is not what the provider accepts (status 400 or 401)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _json(req: Request) -> Any:
    try:
        return json.loads(req.body)
    except ValueError as exc:
        raise BadRequestError("body is not JSON") from exc


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value) or not value:
        raise BadRequestError(f"[{name}] must be a non-empty array of strings")
    return value


def _bearer(req: Request, prefix: str = "") -> None:
    auth = req.headers.get("authorization", "")
    if not auth.startswith(f"Bearer {prefix}") or len(auth) <= len(f"Bearer {prefix}"):
        raise BadRequestError("missing or invalid bearer token", 401)


def _openai_texts(req: Request) -> list[str]:
    if "api-key" not in req.headers and "authorization" not in req.headers:
        raise BadRequestError("no credentials", 401)
    return _strings(_json(req).get("input"), "input")


def _openai_reply(texts: list[str], vectors: Vectors, req: Request) -> Any:
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    return {"object": "list", "data": data, "model": "mock", "usage": {"prompt_tokens": 0}}


def _cohere_texts(req: Request) -> list[str]:
    _bearer(req)
    return _strings(_json(req).get("texts"), "texts")


def _cohere_reply(texts: list[str], vectors: Vectors, req: Request) -> Any:
    if req.path.startswith("/v1/"):
        return {"id": "mock", "embeddings": vectors, "texts": texts}
    kinds = _json(req).get("embedding_types") or ["float"]
    return {"id": "mock", "embeddings": {k: vectors for k in kinds}, "texts": texts}


def _google_texts(req: Request) -> list[str]:
    if not req.query.get("key"):
        raise BadRequestError("API key not valid. Please pass a valid API key.", 400)
    requests = _json(req).get("requests")
    if not isinstance(requests, list) or not requests:
        raise BadRequestError("[requests] must be a non-empty array")
    try:
        return _strings([r["content"]["parts"][0]["text"] for r in requests], "text")
    except (KeyError, IndexError, TypeError) as exc:
        raise BadRequestError("malformed request entry") from exc


def _vertex_texts(req: Request) -> list[str]:
    _bearer(req, "mock-google-")
    instances = _json(req).get("instances")
    if not isinstance(instances, list) or not instances:
        raise BadRequestError("[instances] must be a non-empty array")
    return _strings([i.get("content") if isinstance(i, dict) else None for i in instances], "c")


def _azure_texts(req: Request) -> list[str]:
    if not req.query.get("api-version"):
        raise BadRequestError("Missing api-version query parameter")
    return _openai_texts(req)


def _alibaba_texts(req: Request) -> list[str]:
    _bearer(req)
    return _strings(_json(req).get("input"), "input")


def _bedrock_texts(req: Request) -> list[str]:
    if not req.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 Credential="):
        raise BadRequestError("Missing Authentication Token", 403)
    if "x-amz-date" not in req.headers:
        raise BadRequestError("Missing x-amz-date", 403)
    body = _json(req)
    if "inputText" in body:
        return _strings([body["inputText"]], "inputText")
    return _strings(body.get("texts"), "texts")


def _bedrock_reply(texts: list[str], vectors: Vectors, req: Request) -> Any:
    if "inputText" in _json(req):
        return {"embedding": vectors[0], "inputTextTokenCount": len(texts[0].split())}
    return {"id": "mock", "embeddings": vectors, "response_type": "embeddings_floats"}


def _watsonx_texts(req: Request) -> list[str]:
    _bearer(req, "mock-iam-")
    if not req.query.get("version"):
        raise BadRequestError("Missing version query parameter")
    body = _json(req)
    if not body.get("model_id") or not body.get("project_id"):
        raise BadRequestError("model_id and project_id are required")
    return _strings(body.get("inputs"), "inputs")


def _hf_texts(req: Request) -> list[str]:
    _bearer(req)
    return _strings(_json(req).get("inputs"), "inputs")


Parse = Callable[[Request], list[str]]
Format = Callable[[list[str], Vectors, Request], Any]
ErrorBody = Callable[[int, str], Any]


def _openai_error(status: int, message: str) -> Any:
    return {"error": {"message": message, "type": "mock_error", "code": status}, "detail": message}


def _message_error(status: int, message: str) -> Any:
    return {"message": message}


@dataclass(frozen=True)
class Route:
    """One wire format at one path pattern."""

    name: str
    pattern: re.Pattern[str]
    parse: Parse
    reply: Format
    error: ErrorBody = _openai_error


ROUTES: tuple[Route, ...] = (
    Route("openai-style", re.compile(r".*/v1/embeddings"), _openai_texts, _openai_reply),
    Route("cohere", re.compile(r"/v[12]/embed"), _cohere_texts, _cohere_reply, _message_error),
    Route(
        "googleaistudio",
        re.compile(r"/v1(beta)?/models/[^/]+:batchEmbedContents"),
        _google_texts,
        lambda t, v, r: {"embeddings": [{"values": x} for x in v]},
        lambda s, m: {"error": {"code": s, "message": m, "status": "MOCK"}},
    ),
    Route(
        "googlevertexai",
        re.compile(r"/v1/projects/[^/]+/locations/[^/]+/publishers/google/models/[^/]+:predict"),
        _vertex_texts,
        lambda t, v, r: {"predictions": [{"embeddings": {"values": x}} for x in v]},
        lambda s, m: {"error": {"code": s, "message": m, "status": "MOCK"}},
    ),
    Route(
        "azureopenai",
        re.compile(r"/openai/deployments/[^/]+/embeddings"),
        _azure_texts,
        _openai_reply,
    ),
    Route(
        "alibabacloud-ai-search",
        re.compile(r"/v3/openapi/workspaces/[^/]+/text-embedding/[^/]+"),
        _alibaba_texts,
        lambda t, v, r: {
            "result": {"embeddings": [{"index": i, "embedding": x} for i, x in enumerate(v)]}
        },
        lambda s, m: {"request_id": "mock", "code": f"Mock.{s}", "message": m},
    ),
    Route(
        "amazonbedrock",
        re.compile(r"/model/[^/]+/invoke"),
        _bedrock_texts,
        _bedrock_reply,
        _message_error,
    ),
    Route(
        "watsonxai",
        re.compile(r"/ml/v1/text/embeddings"),
        _watsonx_texts,
        lambda t, v, r: {"model_id": "mock", "results": [{"embedding": x} for x in v]},
        lambda s, m: {"errors": [{"code": "mock", "message": m}], "status_code": s},
    ),
    # Hugging Face endpoints live at any URL: every other POST path answers in its format.
    Route(
        "hugging_face",
        re.compile(r"/.*"),
        _hf_texts,
        lambda t, v, r: v,
        lambda s, m: {"error": m},
    ),
)


def find_route(path: str) -> Route:
    """The first route whose pattern matches all of ``path`` (hugging_face catches the rest)."""
    return next(r for r in ROUTES if r.pattern.fullmatch(path))


def token_reply(req: Request) -> Reply | None:
    """Answer the watsonx IAM and Google OAuth token endpoints; ``None`` for other paths."""
    form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
    if req.path == "/identity/token":
        if (
            not form.get("apikey")
            or form.get("grant_type") != "urn:ibm:params:oauth:grant-type:apikey"
        ):
            return Reply(
                400,
                {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."},
            )
        token = "mock-iam-" + hashlib.sha256(form["apikey"].encode()).hexdigest()[:16]
        return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})
    if req.path == "/token":
        if not form.get("assertion"):
            return Reply(400, {"error": "invalid_grant", "error_description": "no assertion"})
        token = "mock-google-" + hashlib.sha256(form["assertion"].encode()).hexdigest()[:16]
        return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})
    return None
