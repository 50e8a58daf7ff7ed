"""The metrics HTTP server: prometheus_client's WSGI app behind basic auth.

``GET /metrics`` (any path but the health path) serves the exposition format; ``GET /-/healthy``
answers ``ok`` without auth and without touching Redis, for container health checks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import redis
from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from redis.backoff import NoBackoff
from redis.retry import Retry

from pipeline.connections import Connections
from pipeline.exporter.auth import Credentials, is_authorized
from pipeline.exporter.collector import PipelineCollector
from pipeline.exporter.queues import (
    BrokerStats,
    amqp_broker_stats,
    redis_broker_stats,
    redis_url_of_broker,
)

HEALTH_PATH = "/-/healthy"
# A scrape fails fast rather than retry: Prometheus scrapes again in a few seconds anyway.
SCRAPE_REDIS_TIMEOUT_S = 5.0
SCRAPE_REDIS_CONNECT_TIMEOUT_S = 2.0

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _QuietHandler(WSGIRequestHandler):
    """No access log line per scrape."""

    def log_message(self, format: str, *args: Any) -> None:
        """Drop the line."""


def scrape_client(url: str) -> redis.Redis[bytes]:
    """A Redis client for scrapes: short timeouts, no retries."""
    return redis.Redis.from_url(
        url,
        socket_timeout=SCRAPE_REDIS_TIMEOUT_S,
        socket_connect_timeout=SCRAPE_REDIS_CONNECT_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
    )


def broker_reader(broker_url: str, queues: list[str]) -> Callable[[], BrokerStats]:
    """A function reading the queues' stats from the broker, whichever transport it is."""
    redis_url = redis_url_of_broker(broker_url)
    if redis_url is None:
        return lambda: amqp_broker_stats(broker_url, queues)
    client = scrape_client(redis_url)
    return lambda: redis_broker_stats(client, queues, time.time())


def make_app(registry: CollectorRegistry, credentials: Credentials) -> WSGIApp:
    """The WSGI app: health path open, everything else behind ``credentials`` (if any)."""
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if not is_authorized(environ.get("HTTP_AUTHORIZATION"), credentials):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Basic realm="inferq"')],
            )
            return [b"unauthorized\n"]
        result: Iterable[bytes] = metrics_app(environ, start_response)
        return result

    return app


def serve(
    connections: Connections,
    queues: list[str],
    host: str,
    port: int,
    credentials: Credentials,
    *,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Serve the metrics until interrupted.

    Args:
        connections: the pipeline's Redis and broker.
        queues: the queues to report.
        host: bind address.
        port: TCP port (0: any free one).
        credentials: basic-auth pairs demanded (empty: none).
        ready: called with the bound port once the server listens.
    """
    registry = CollectorRegistry(auto_describe=False)
    collector = PipelineCollector(
        scrape_client(connections.redis_url), broker_reader(connections.broker_url, queues)
    )
    registry.register(collector)
    httpd = make_server(
        host,
        port,
        make_app(registry, credentials),
        server_class=ThreadingWSGIServer,
        handler_class=_QuietHandler,
    )
    with httpd:
        bound = int(httpd.server_address[1])
        log.info("metrics.listening host=%s port=%d auth=%s", host, bound, bool(credentials))
        if ready is not None:
            ready(bound)
        httpd.serve_forever()
