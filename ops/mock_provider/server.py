"""A small asyncio HTTP/1.1 server (keep-alive, Content-Length bodies) in front of the formats.

Standard library only: it takes thousands of small requests per second on one core, which is what
the load test needs, and adds no dependency. Control endpoints: ``GET /_health``,
``GET /_stats[?limit_rpm=N&timestamps=1&log=N]``, ``POST /_reset``, ``POST /_config`` (JSON).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from urllib.parse import parse_qsl, urlsplit

from ops.mock_provider.formats import BadRequestError, Reply, Request, find_route, token_reply
from ops.mock_provider.state import MockConfig, MockState
from ops.mock_provider.vectors import vector_for

logger = logging.getLogger(__name__)

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 256 * 1024 * 1024
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
REASONS |= {413: "Content Too Large", 429: "Too Many Requests", 500: "Internal Server Error"}


class _DropError(Exception):
    """Close the connection without an answer (the injected timeout)."""


class MockProvider:
    """Routes requests to the formats, the limiter and the fault injector."""

    def __init__(self, config: MockConfig) -> None:
        self.state = MockState(config, time.monotonic())

    async def handle(self, req: Request) -> Reply:
        """Answer one request (raises ``_DropError`` for an injected timeout)."""
        if req.path.startswith("/_"):
            return self.control(req)
        token = token_reply(req) if req.method == "POST" else None
        if token is not None:
            self.state.record(time.monotonic(), req.path, token.status, "token")
            return token
        if req.method != "POST":
            return Reply(405, {"error": "method not allowed"})
        return await self.embed(req)

    async def embed(self, req: Request) -> Reply:
        """One embedding request: parse, pace, delay, inject faults, answer."""
        st, route = self.state, find_route(req.path)
        now = req.received or time.monotonic()
        try:
            texts = route.parse(req)
        except BadRequestError as exc:
            st.record(now, req.path, exc.status, "bad_request")
            return Reply(exc.status, route.error(exc.status, str(exc)))
        wait = st.admit(now)
        if wait is not None:
            st.record(now, req.path, 429, "paced")
            headers = {"Retry-After": str(math.ceil(wait)), "retry-after-ms": f"{wait * 1000:.0f}"}
            return Reply(429, route.error(429, "Rate limit exceeded"), headers)
        cfg = st.config
        fault = st.fault()
        if cfg.latency_ms > 0:
            await asyncio.sleep(cfg.latency_ms / 1000)
        if fault == "timeout":
            st.record(now, req.path, 0, "injected_timeout")
            await asyncio.sleep(cfg.hang_s)
            raise _DropError
        if fault == "429":
            st.record(now, req.path, 429, "injected_429")
            headers = {"Retry-After": f"{cfg.retry_after_s:g}"} if cfg.retry_after_s > 0 else {}
            return Reply(429, route.error(429, "Too many requests (injected)"), headers)
        if fault == "5xx":
            st.record(now, req.path, cfg.status_5xx, "injected_5xx")
            return Reply(cfg.status_5xx, route.error(cfg.status_5xx, "Server error (injected)"))
        too_long = cfg.max_input_chars and any(len(t) > cfg.max_input_chars for t in texts)
        if fault == "413" or too_long:
            st.record(now, req.path, 413, "injected_413" if fault else "too_large")
            return Reply(413, route.error(413, "Request entity too large"))
        vectors = [vector_for(t, cfg.dims, cfg.seed) for t in texts]
        st.texts += len(texts)
        st.record(now, req.path, 200, "ok")
        return Reply(200, route.reply(texts, vectors, req))

    def control(self, req: Request) -> Reply:
        """The ``/_`` endpoints."""
        st = self.state
        if req.path == "/_health":
            return Reply(200, {"status": "ok"})
        if req.path == "/_stats" and req.method == "GET":
            limit = float(req.query["limit_rpm"]) if req.query.get("limit_rpm") else None
            log = int(req.query.get("log", "100"))
            return Reply(
                200, st.stats(limit_rpm=limit, timestamps="timestamps" in req.query, log=log)
            )
        if req.path == "/_reset" and req.method == "POST":
            st.reset(time.monotonic())
            return Reply(200, {"reset": True})
        if req.path == "/_config" and req.method == "POST":
            try:
                st.config = st.config.updated(json.loads(req.body or b"{}"))
            except (ValueError, TypeError) as exc:
                return Reply(400, {"error": str(exc)})
            if "seed" in json.loads(req.body or b"{}"):
                st.reset(time.monotonic())
            return Reply(
                200, {"config": st.stats(limit_rpm=None, timestamps=False, log=0)["config"]}
            )
        return Reply(404, {"error": f"no control endpoint {req.method} {req.path}"})


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        received = time.monotonic()
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError as exc:
        raise ValueError("headers too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY_BYTES:
        raise ValueError("body too large")
    body = await reader.readexactly(length) if length else b""
    url = urlsplit(target)
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    return Request(method.upper(), url.path, query, headers, body, received)


def _encode(reply: Reply, keep_alive: bool) -> bytes:
    body = json.dumps(reply.body, separators=(",", ":")).encode()
    reason = REASONS.get(reply.status, "Status")
    head = [f"HTTP/1.1 {reply.status} {reason}", "Content-Type: application/json"]
    head += [
        f"Content-Length: {len(body)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
    ]
    head += [f"{k}: {v}" for k, v in reply.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def serve(provider: MockProvider, host: str, port: int) -> asyncio.Server:
    """Start listening; the caller runs the loop (``serve_forever`` or its own)."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                req = await _read_request(reader)
                if req is None:
                    break
                keep_alive = req.headers.get("connection", "").lower() != "close"
                try:
                    reply = await provider.handle(req)
                except _DropError:
                    raise
                except Exception:  # a mock bug must not look like a hung provider
                    logger.exception("mock_provider.handler_failed")
                    reply = Reply(500, {"error": "mock provider bug"})
                writer.write(_encode(reply, keep_alive))
                await writer.drain()
                if not keep_alive:
                    break
        except (_DropError, ConnectionError, ValueError):
            pass
        except asyncio.CancelledError:
            # Shutdown cancels hanging handlers; ending quietly keeps asyncio from logging each.
            pass
        finally:
            writer.close()

    return await asyncio.start_server(
        connection, host, port, limit=MAX_HEADER_BYTES, reuse_address=True, backlog=1024
    )
