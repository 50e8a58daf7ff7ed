"""The Prometheus endpoint (``inferq metrics``): what Flower does not show.

Every value is read from Redis and the broker when Prometheus scrapes, so one exporter covers every
worker on every host. Metrics (counters end in ``_total``):

========================================================  ================  ======================
metric                                                    labels            source
========================================================  ================  ======================
``inferq_up``, ``inferq_broker_up``                       -                 1 when readable
``inferq_queue_messages``                                 queue             broker (Redis, AMQP)
``inferq_queue_oldest_message_age_seconds``               queue             Redis broker only
``inferq_broker_unacked_messages``                        -                 Redis broker only
``inferq_requests_total``                                 service, group    worker counters
``inferq_responses_429_total``                            service, group    worker counters
``inferq_retries_total``                                  service, group    worker counters
``inferq_failures_total``                                 service, group    worker counters
``inferq_token_wait_seconds_total``                       service, group    worker counters
``inferq_ratelimit_tokens_granted_total``                 service, group    the group's bucket
``inferq_ratelimit_requests_per_minute``                  service, group    the group's bucket
``inferq_ratelimit_cooldowns_total``                      service, group    the group's bucket
``inferq_ratelimit_cooldown_remaining_seconds``           service, group    the group's bucket
========================================================  ================  ======================

``group`` is the hashed rate-limit group id (never the grouping material, which can hold a key).

PromQL: tokens per minute granted versus the limit, per group::

    60 * rate(inferq_ratelimit_tokens_granted_total[5m])
    60 * rate(inferq_ratelimit_tokens_granted_total[5m]) / inferq_ratelimit_requests_per_minute

share of requests answered 429: ``rate(inferq_responses_429_total[5m]) /
rate(inferq_requests_total[5m])``; mean token wait per request:
``rate(inferq_token_wait_seconds_total[5m]) / rate(inferq_requests_total[5m])``.
"""

from pipeline.exporter.auth import Credentials, is_authorized, ops_credentials, parse_basic_auth
from pipeline.exporter.collector import PipelineCollector, Snapshot, families
from pipeline.exporter.queues import BrokerStats, QueueStats
from pipeline.exporter.server import HEALTH_PATH, make_app, serve

__all__ = [
    "HEALTH_PATH",
    "BrokerStats",
    "Credentials",
    "PipelineCollector",
    "QueueStats",
    "Snapshot",
    "families",
    "is_authorized",
    "make_app",
    "ops_credentials",
    "parse_basic_auth",
    "serve",
]
